"""Benchmark: checking a large CSV file. The data is synthetic, generated here, not real figures.

Writes a scratch project whose id_cards.csv holds about SIZE_MB megabytes of generated rows
(900 synthetic district codes, one row per code and day), runs `build.py check` on it in a
child process and prints wall time and peak memory, so growth with file size can be compared.

    python bench/big_csv.py 10 100
"""

from __future__ import annotations

import datetime as dt
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# After every date in the shipped data (its revision log included), so only the generated rows are checked.
CLOCK = "2027-01-01T00:00+07:00"
CODES = [str(code) for code in range(100, 1000)]
UNITS = ["40", *CODES]  # the province's own row each day, as the indicator shows those


def make_project(folder: Path, size_mb: int) -> Path:
    """A copy of the portal whose units and ID-card files are synthetic and about size_mb MB."""
    shutil.copy(ROOT / "site.toml", folder / "site.toml")
    shutil.copytree(ROOT / "data", folder / "data")
    shutil.copytree(ROOT / "templates", folder / "templates")
    with (folder / "data" / "units.csv").open("w", encoding="utf-8") as units:
        units.write("code,name,name_en,name_ar,type,level,parent_code,valid_until\n"
                    "40,Synthetic province,Synthetic province,Synthetic province,province,province,,\n")
        units.writelines(f"{code},Synthetic district {code},Synthetic district {code},Synthetic district {code},"
                         f"district,district,40,\n" for code in CODES)
    target = size_mb * 1_000_000
    written, row = 0, 0
    start = dt.date(2000, 1, 1)
    with (folder / "data" / "id_cards.csv").open("w", encoding="utf-8") as out:
        out.write("date,unit_code,cards_issued,eligible_coverage_pct\n")
        while written < target:
            day = start + dt.timedelta(days=row // len(UNITS))
            line = f"{day.isoformat()},{UNITS[row % len(UNITS)]},{1000 + row // len(UNITS)},{50 + (row % 50) / 10}\n"
            out.write(line)
            written += len(line)
            row += 1
    return folder


def measure(size_mb: int) -> tuple[int, float, float, int]:
    """Rows, seconds, peak MiB and exit code of `build.py check` on a file of about size_mb MB."""
    with tempfile.TemporaryDirectory() as scratch:
        project = make_project(Path(scratch), size_mb)
        rows = sum(1 for _ in (project / "data" / "id_cards.csv").open()) - 1
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "check",
                                 "--clock", CLOCK], capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if result.returncode:
            print(result.stderr[-2000:], file=sys.stderr)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return rows, seconds, peak_mib, result.returncode


def main(sizes: list[int]) -> None:
    print("| file size | rows | check time | peak memory | exit |")
    print("|---|---|---|---|---|")
    for size in sizes:
        rows, seconds, peak, code = measure(size)
        print(f"| {size} MB | {rows:,} | {seconds:.1f} s | {peak:.0f} MiB | {code} |")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10, 100])

"""The output folder: only a site this tool built is ever replaced, and the swap is atomic even when killed."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from build import cli
from conftest import tree_digest, write_project
from portal.errors import BuildError
from portal.write import MARKER, Staging

ROOT = Path(__file__).resolve().parents[1]
CLOCK = "2024-03-01T00:00+07:00"


def run(*args):
    return CliRunner().invoke(cli, list(args))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("target", [".git", "content", "data", "templates", "content/images", "notes", ".git/hooks"])
def test_build_refuses_to_replace_a_folder_of_the_users_files(tmp_path, target):
    root = write_project(tmp_path / "p", {".git/HEAD": "ref: refs/heads/main\n", "notes/todo.txt": "mine\n",
                                          "content/images/pic.png": b"\x89PNG test"})
    before = snapshot(root)
    result = run("--project", str(root), "build", "--output", str(root / target), "--clock", CLOCK)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    first = result.output.splitlines()[0]
    assert first.startswith(f"{root / target}: ") and "output" in first
    assert snapshot(root) == before
    assert not (root / "site").exists()


def test_build_refuses_the_portals_own_code_and_a_parent_of_it(tmp_path):
    root = write_project(tmp_path / "p")
    for target in (ROOT / "portal", ROOT / "portal" / "site"):
        result = run("--project", str(root), "build", "--output", str(target))
        assert result.exit_code == 1 and "portal's own code" in result.output
    assert not (ROOT / "portal" / "site").exists()


def test_a_folder_named_like_a_site_but_not_built_here_is_refused(tmp_path):
    root = write_project(tmp_path / "p")
    elsewhere = tmp_path / "site"
    elsewhere.mkdir()
    (elsewhere / "index.html").write_text("my own page\n")
    result = run("--project", str(root), "build", "--output", str(elsewhere))
    assert result.exit_code == 1
    assert f"no {MARKER} file" in result.output
    assert (elsewhere / "index.html").read_text() == "my own page\n"


def test_an_empty_folder_and_then_the_built_site_are_accepted(tiny_site, tmp_path):
    output = tmp_path / "empty"
    output.mkdir()
    assert run("--project", str(tiny_site), "build", "--output", str(output), "--clock", CLOCK).exit_code == 0
    assert (output / MARKER).is_file() and (tiny_site / "site" / MARKER).is_file()
    assert run("--project", str(tiny_site), "build", "--output", str(output), "--clock", CLOCK).exit_code == 0


def test_a_read_only_output_gives_a_message_and_leaves_the_site(tiny_site, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("the superuser writes into read-only folders")
    parent = tmp_path / "ro"
    shutil.copytree(tiny_site / "site", parent / "site")
    before = tree_digest(parent / "site")
    parent.chmod(0o555)
    try:
        result = run("--project", str(tiny_site), "build", "--output", str(parent / "site"), "--clock", CLOCK)
    finally:
        parent.chmod(0o755)
    assert result.exit_code == 1 and "cannot write the site: Permission denied" in result.output
    assert "Traceback" not in result.output and tree_digest(parent / "site") == before


def test_an_output_that_cannot_be_made_gives_a_message(tiny_site, tmp_path):
    (tmp_path / "a-file").write_text("not a folder\n")
    result = run("--project", str(tiny_site), "build", "--output", str(tmp_path / "a-file" / "site"), "--clock", CLOCK)
    assert result.exit_code == 1 and not isinstance(result.exception, OSError)
    assert result.output.startswith(f"{tmp_path / 'a-file'}") and "cannot write the site: " in result.output


def test_a_full_disk_gives_a_message_and_leaves_the_site(tiny_site, tmp_path):
    import resource

    root = tmp_path / "p"
    shutil.copytree(tiny_site, root)
    before = tree_digest(root / "site")

    def small_disk():
        # Files may grow to 300 kB only: the large chart script cannot be written, as on a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))

    # Without its memo the copy's build writes every file again (with it, nothing has changed).
    shutil.rmtree(root / ".cache")
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(root), "build", "--jobs", "1",
                             "--clock", CLOCK], preexec_fn=small_disk, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot write the site: File too large; the previous site is unchanged" in result.stderr
    assert tree_digest(root / "site") == before
    assert not [name for name in os.listdir(root) if name.startswith("site.tmp")]


SWAP_LOOP = textwrap.dedent("""\
    import sys
    from pathlib import Path
    from portal.write import Staging

    output, version = Path(sys.argv[1]), 0
    while True:
        version += 1
        with Staging(output) as staging:
            for number in range(150):
                staging.write(f"part/{number}.txt", str(version).encode())
            staging.write("index.html", str(version).encode())
            staging.swap()
        print(version, flush=True)
""")


def complete_version(site: Path) -> str:
    """The one version every file of `site` holds; fails if the site is missing or mixed."""
    assert site.is_dir(), "the published folder went missing"
    files = {p.relative_to(site).as_posix(): p.read_text() for p in site.rglob("*") if p.is_file()}
    files.pop(MARKER)
    assert len(files) == 151, f"incomplete site: {len(files)} files"
    (version,) = set(files.values())
    return version


def test_the_published_folder_survives_a_kill_at_any_instant_of_the_swap(tmp_path):
    output = tmp_path / "site"
    script = tmp_path / "loop.py"
    script.write_text(SWAP_LOOP)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    interrupted = 0
    for attempt in range(16):
        process = subprocess.Popen([sys.executable, str(script), str(output)], env=env, stdout=subprocess.PIPE)
        process.stdout.readline()  # one swap done: the loop is running
        # Delays spread over a cycle of writing and swapping: each kill lands at another point of it.
        time.sleep(0.002 * attempt)
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        complete_version(output)
        interrupted += any(name.startswith("site.tmp-") for name in os.listdir(tmp_path))
    assert interrupted, "no kill interrupted a build (the test did not test anything)"
    finisher = subprocess.run([sys.executable, "-c", "from pathlib import Path; from portal.write import Staging\n"
                               f"with Staging(Path({str(output)!r})) as s: s.write('index.html', b'x'); s.swap()"],
                              env=env, check=True)
    assert finisher.returncode == 0
    assert sorted(os.listdir(tmp_path)) == ["loop.py", "site"]


def test_a_killed_real_build_leaves_the_previous_or_the_new_site(tiny_site, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(tiny_site, root, ignore=shutil.ignore_patterns("site"))
    article = root / "content/announcements/2024-02-01-ban-tin-thu.vi.md"
    texts = [article.read_text(encoding="utf-8"), article.read_text(encoding="utf-8").replace("thử**.", "đã sửa**.")]
    command = [sys.executable, str(ROOT / "build.py"), "--project", str(root), "build", "--clock", CLOCK, "--jobs", "1"]
    digests = []
    for text in texts:
        article.write_text(text, encoding="utf-8")
        started = time.monotonic()
        subprocess.run(command, check=True, capture_output=True)
        seconds = time.monotonic() - started
        digests.append(tree_digest(root / "site"))
    assert digests[0] != digests[1]
    for attempt in range(6):
        article.write_text(texts[attempt % 2], encoding="utf-8")
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(seconds * (0.55 + 0.1 * attempt))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert tree_digest(root / "site") in digests
    subprocess.run(command, check=True, capture_output=True)
    assert not [name for name in os.listdir(root) if name.startswith("site.tmp")]


def _write_from_a_worker(destination, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        destination.write(name, content)


def test_files_a_worker_writes_into_the_new_site_never_change_the_current_one(tmp_path):
    output = tmp_path / "site"
    with Staging(output) as staging:
        staging.write("charts/a.svg", b"old chart", "made-from-old")
        staging.swap()
    previous = dict(staging.manifest)
    with Staging(output, previous) as staging:
        assert staging.reuse("charts/a.svg", "made-from-old")  # a hard link to the current site's file
        # Another process (a chart worker) writes the new files itself; the build records them.
        worker = multiprocessing.get_context("fork").Process(
            target=_write_from_a_worker,
            args=(staging.destination, {"charts/a.svg": b"new chart", "charts/deep/b.svg": b"another"}))
        worker.start()
        worker.join()
        assert worker.exitcode == 0
        for name in ("charts/a.svg", "charts/deep/b.svg"):
            staging.record(name, "made-from-new")
        assert (output / "charts/a.svg").read_bytes() == b"old chart"  # the published site is untouched
        staging.swap()
    assert (output / "charts/a.svg").read_bytes() == b"new chart"
    assert (output / "charts/deep/b.svg").read_bytes() == b"another"
    assert staging.manifest["charts/a.svg"][0] == "made-from-new"
    assert sorted(os.listdir(tmp_path)) == ["site"]  # no temporary file or folder left beside it


def test_a_worker_that_cannot_write_says_where(tmp_path):
    output = tmp_path / "site"
    with Staging(output) as staging:
        (staging.folder / "charts").write_text("a file where a folder should be")
        with pytest.raises(BuildError) as caught:
            staging.destination.write("charts/a.svg", b"chart")
    (problem,) = caught.value.problems
    assert problem.path == str(output.resolve() / "charts/a.svg") and "cannot write the site" in problem.message

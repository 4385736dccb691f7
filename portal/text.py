"""Rules every text read from the inputs follows, whatever file it comes from."""

from __future__ import annotations

import re

# C0 and C1 control characters other than tab and line ends, and the Unicode non-characters:
# invisible on the page, refused by XML (feeds, sitemaps) and fatal to the chart renderer.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def describe_control(text: str) -> str:
    """Name the first control character of `text`, such as U+0007."""
    char = CONTROL.search(text).group()
    return f"U+{ord(char):04X}"


def control_problems(text: str, first_line: int = 1) -> list[tuple[int, int, str]]:
    """(line, column, message) for the first control character of each line of `text`."""
    found = []
    for number, line in enumerate(text.split("\n"), start=first_line):
        match = CONTROL.search(line)
        if match:
            found.append((number, match.start() + 1, f"a control character, {describe_control(line)}, is not allowed "
                                                      "in a text; delete it"))
    return found

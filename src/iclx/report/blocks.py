"""Generated blocks of text files: ``<!-- generated:KEY -->…<!-- /generated -->``.

``fill_blocks(text, contents)`` is a pure function: it rewrites only what lies between the markers of
the keys it is given and leaves every other character (and every file without markers) as it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_BLOCK = re.compile(r"<!-- generated:(?P<key>[^\s>]+) -->(?P<body>.*?)<!-- /generated -->", re.DOTALL)
_CLOSE = "<!-- /generated -->"
_OPEN = re.compile(r"<!-- generated:(?P<key>[^\s>]+) -->")


def block_keys(text: str) -> list[str]:
    """The keys of the generated blocks of ``text``, in order."""
    return [m.group("key") for m in _BLOCK.finditer(text)]


def _check_closed(text: str) -> None:
    """Every opening marker has its own closing marker before the next opening one."""
    for match in _OPEN.finditer(text):
        end = text.find(_CLOSE, match.end())
        following = _OPEN.search(text, match.end())
        if end < 0 or (following is not None and following.start() < end):
            line = text.count("\n", 0, match.start()) + 1
            raise ValueError(f"line {line}: <!-- generated:{match.group('key')} --> without its closing "
                             f"{_CLOSE}")


def fill_blocks(text: str, contents: Mapping[str, str]) -> str:
    """``text`` with each block ``<!-- generated:KEY -->…<!-- /generated -->`` whose KEY is in
    ``contents`` replaced by that content; everything outside the markers, and blocks of other keys,
    unchanged. Raises ``ValueError`` for an opening marker without its closing one."""
    _check_closed(text)

    def replace(match: re.Match[str]) -> str:
        key = match.group("key")
        if key not in contents:
            return match.group(0)
        return f"<!-- generated:{key} -->\n{contents[key].strip(chr(10))}\n<!-- /generated -->"

    return _BLOCK.sub(replace, text)

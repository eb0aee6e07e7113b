"""A strict YAML reader for sidecars and corrections files: text in, strings out.

YAML 1.1 guesses types from how a value looks: ``geo: 01`` becomes the integer 1, ``geo: 070``
the octal 56, ``issued_on: 2024-13-45`` a crash, ``yes`` a boolean. A sidecar is written by hand
and means what it says, so every scalar is read as the string it spells (only an empty value,
``~`` and ``null`` mean "no value"); the keys' own types are checked afterwards by their
readers. Duplicate keys are an error naming both lines (YAML would keep the last silently),
anchors, aliases and tags are refused (an alias bomb expands a few hundred bytes into
gigabytes), and the file's size and nesting depth are bounded before anything is built.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import yaml

from pipeline.errors import InputError
from pipeline.settings import relative
from pipeline.yaml_load import LOADER as _LOADER  # only its parser is used

_NULLS = {"", "~", "null", "Null", "NULL"}
MAX_DEPTH = 8  # a sidecar is one mapping; a corrections file nests three deep


class YamlMap(dict):
    """A mapping read from YAML that remembers the line of each key (for messages)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


def read_regular_file(path: Path, max_bytes: int, what: str) -> bytes:
    """The bytes of ``path`` if it is a regular file (not a symlink) of at most ``max_bytes``."""

    def refused(problem: str) -> InputError:  # the path is made relative only when needed
        return InputError(f"{relative(path)}: {problem}")

    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if os.path.islink(path):
            raise refused(
                "is a symbolic link; data files must be regular files inside the raw folder "
                "(copy the file in instead)"
            ) from None
        raise refused(f"cannot be read ({e.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if stat.S_ISDIR(st.st_mode):
            raise refused(f"is a directory, not a {what}")
        if not stat.S_ISREG(st.st_mode):
            raise refused(f"is not a regular file (a {what} must be one)")
        if st.st_size > max_bytes:
            raise refused(
                f"{_size(st.st_size)} is more than the {_size(max_bytes)} a {what} may have"
            )
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew while being read
        raise refused(f"more than the {_size(max_bytes)} a {what} may have")
    return data


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.0f} KB"
    return f"{n} bytes"


def load_strict(
    path: Path, max_bytes: int, what: str = "YAML file", where: str | None = None
) -> object:
    """The YAML file ``path`` as nested dicts (:class:`YamlMap`), lists and strings (or None);
    ``where`` names it in messages (default: its path relative to the working directory)."""
    where = where or relative(path)
    data = read_regular_file(path, max_bytes, what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(f"{where}, line {line}: not UTF-8 ({e.reason})") from None
    events = yaml.parse(text, Loader=_LOADER)
    try:
        return _document(events, where)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(f"{where}{line}: invalid YAML: {problem}") from None


def _document(events: Iterator[yaml.Event], where: str) -> object:
    next(events)  # StreamStart
    ev = next(events)
    if isinstance(ev, yaml.StreamEndEvent):
        return None  # an empty file
    value = _node(events, next(events), where, 0)
    next(events)  # DocumentEnd
    ev = next(events)
    if not isinstance(ev, yaml.StreamEndEvent):
        raise InputError(f"{where}, line {ev.start_mark.line + 1}: more than one YAML document")
    return value


def _node(events: Iterator[yaml.Event], ev: yaml.Event, where: str, depth: int) -> object:
    line = ev.start_mark.line + 1
    if isinstance(ev, yaml.AliasEvent):
        raise InputError(f"{where}, line {line}: aliases (*{ev.anchor}) are not allowed")
    if ev.anchor is not None:
        raise InputError(f"{where}, line {line}: anchors (&{ev.anchor}) are not allowed")
    if ev.tag is not None and not (
        isinstance(ev, yaml.MappingStartEvent | yaml.SequenceStartEvent) and ev.implicit
    ):
        raise InputError(f"{where}, line {line}: tags ({ev.tag}) are not allowed; write plain text")
    if depth > MAX_DEPTH:
        raise InputError(f"{where}, line {line}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(ev, yaml.ScalarEvent):
        return None if not ev.style and ev.value in _NULLS else ev.value
    if isinstance(ev, yaml.SequenceStartEvent):
        items = []
        while not isinstance(ev := next(events), yaml.SequenceEndEvent):
            items.append(_node(events, ev, where, depth + 1))
        return items
    out = YamlMap(line)
    while not isinstance(ev := next(events), yaml.MappingEndEvent):
        key_line = ev.start_mark.line + 1
        key = _node(events, ev, where, depth + 1)
        if not isinstance(key, str) or not key:
            raise InputError(f"{where}, line {key_line}: a key must be a plain word")
        if key in out:
            raise InputError(
                f"{where}, line {key_line}: key {key!r} is given twice "
                f"(first on line {out.lines[key]})"
            )
        out[key] = _node(events, next(events), where, depth + 1)
        out.lines[key] = key_line
    return out

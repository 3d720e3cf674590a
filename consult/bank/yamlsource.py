"""Safe YAML reading with positions: every node keeps its `file:line:col`.

YAML is composed (not loaded) so that errors can point at the line of the bad
value, and duplicate keys, which PyYAML silently keeps the last of, are caught.
Only the safe schema is used; tags such as `!!python/name` are refused.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from consult.errors import InputError, Problem, Source, display_path

try:  # LibYAML's parser is several times faster; fall back to pure Python.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 1_000_000
MAX_DEPTH = 64
# Below this many structural characters LibYAML cannot nest deep enough to
# crash (10,000 levels were measured safe), so the event scan is skipped and
# depth is checked while converting.
SCAN_ABOVE = 2_000
_SCALARS = SafeConstructor()
# Values a document may hold once its aliases are expanded: far beyond any honest
# bank (the shipped one holds under 1,000 per file, some 4,700 in all), far below
# what fills memory.
MAX_VALUES = 200_000
# Digits of a whole number: more is out of range for every question (and Python
# refuses to convert more than 4,300).
MAX_DIGITS = 30
_INT_TAG = "tag:yaml.org,2002:int"
DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
# Characters YAML refuses anywhere in a document (C0 and C1 controls, surrogates, ...).
_UNPRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


class Unreadable:
    """A value no question accepts, kept so that the error names its question.

    A whole number written otherwise than in plain decimal digits (YAML 1.1 reads
    `012` as octal 10, `1:30` as 90), or too long to be any question's answer.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Node:
    """A YAML value with its position. Mappings hold `(key node, value node)` pairs."""

    value: Any
    source: Source
    key_sources: dict[str, Source] | None = None

    @property
    def is_mapping(self) -> bool:
        """Whether the node is a mapping."""
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        """Whether the node is a sequence."""
        return isinstance(self.value, list)

    def plain(self) -> Any:
        """The node as plain Python data (dicts, lists, scalars)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


class YamlProblem(Exception):
    """A problem that stops a file from being read at all."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def read_text(path: Path | str, shown: str | None = None) -> str:
    """Read a UTF-8 text file of at most 1 MB, with errors that name the file."""
    name = shown or display_path(path)
    try:
        data = _read_bytes(path)
    except IsADirectoryError:
        raise InputError(f"{name}: is a folder, not a file") from None
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}") from None
    return decode(data, name)


def _read_bytes(path: Path | str) -> bytes:
    """The file's bytes, at most MAX_BYTES + 1 of them (more is refused by `decode`).

    Plain system calls, no file object: a batch reads thousands of small files,
    and a buffered file object costs several times the read itself. A regular
    file is read at its size in one call; anything else (a pipe, a file whose
    size the system does not know) is read until its end.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, min(size, MAX_BYTES) + 1)
        if size and len(data) <= size:
            return data  # the whole file (what was there when it was read)
        parts = [data]
        total = len(data)
        while data and total <= MAX_BYTES:
            data = os.read(fd, MAX_BYTES + 1 - total)
            parts.append(data)
            total += len(data)
        return b"".join(parts)
    finally:
        os.close(fd)


def decode(data: bytes, name: str) -> str:
    """Decode file contents, refusing oversized and non-UTF-8 input."""
    if len(data) > MAX_BYTES:
        raise YamlProblem(Problem(Source(name), f"file is larger than {MAX_BYTES:,} bytes"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlProblem(
            Problem(Source(name), f"not UTF-8 text (byte {exc.start} cannot be decoded)")
        ) from None


def parse(text: str, name: str, *, aliases: bool = False) -> Node | None:
    """Parse one YAML (or JSON) document into positioned nodes; None if empty.

    Aliases (`*name`) are refused unless `aliases` is set (bank files); then
    the document may expand to at most MAX_VALUES values. Both are checked
    before anything is expanded.
    """
    # An alias needs an anchor: without both characters there is none.
    shared = "*" in text and "&" in text
    try:
        _check_depth(text, name)
        if shared and not aliases:
            _refuse_aliases(text, name)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise YamlProblem(_marked_problem(exc, name)) from None
    except yaml.reader.ReaderError as exc:
        raise YamlProblem(_reader_problem(exc, text, name)) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(Problem(Source(name), f"invalid YAML: {exc}")) from None
    if root is None:
        return None
    if shared:
        _count_values(root, name, {}, 1)
    return _convert(root, name, 1)


def _refuse_aliases(text: str, name: str) -> None:
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            message = f"alias '*{event.anchor}' not allowed: write the value itself"
            raise YamlProblem(Problem(_source(event, name), message))


def _count_values(node: yaml.Node, name: str, seen: dict[int, int], depth: int) -> int:
    """The values under a node with aliases expanded; each shared node is counted once."""
    known = seen.get(id(node))
    if known is not None:
        return known
    if depth > MAX_DEPTH:
        raise YamlProblem(_too_deep(_source(node, name)))
    count = 1
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            count += _count_values(item, name, seen, depth + 1)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            count += _count_values(key, name, seen, depth + 1)
            count += _count_values(value, name, seen, depth + 1)
    if count > MAX_VALUES:
        message = f"aliases expand this to more than {MAX_VALUES:,} values"
        raise YamlProblem(Problem(_source(node, name), message))
    seen[id(node)] = count
    return count


def _reader_problem(exc: yaml.reader.ReaderError, text: str, name: str) -> Problem:
    """A character YAML refuses, at its line and column."""
    found = _UNPRINTABLE.search(text)
    if found is None:  # pragma: no cover - LibYAML refuses only these
        return Problem(Source(name), f"invalid YAML: {exc.reason}")
    at = found.start()
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    message = f"invalid YAML: {exc.reason} (U+{ord(found.group()):04X})"
    return Problem(Source(name, line, column), message)


def _check_depth(text: str, name: str) -> None:
    """Refuse deeply nested documents before LibYAML recurses on them.

    LibYAML's composer recurses once per nesting level and crashes the
    interpreter at around 100,000 levels, so depth is measured on the event
    stream (which does not recurse) whenever a cheap upper bound allows it.
    """
    bound = sum(text.count(c) for c in "[{-:?")
    if bound <= SCAN_ABOVE:
        return
    try:
        _scan_depth(text, name, _Loader)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" not in str(exc.problem):
            raise YamlProblem(_marked_problem(exc, name)) from None
        # LibYAML 0.2.5 (in PyYAML 6.0.4 wheels) stops at its own limit of 1,000
        # levels while scanning ahead, before the events that would show level 65.
        # The pure-Python parser has no such limit and does not recurse either, so
        # it finds the same place and message whichever PyYAML is installed.
        try:
            _scan_depth(text, name, yaml.SafeLoader)
        except yaml.MarkedYAMLError as again:
            raise YamlProblem(_marked_problem(again, name)) from None


def _scan_depth(text: str, name: str, loader: Any) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlProblem(_too_deep(_source(event, name)))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _marked_problem(exc: yaml.MarkedYAMLError, name: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    source = Source(name, mark.line + 1, mark.column + 1) if mark else Source(name)
    what = exc.problem or exc.context or "invalid YAML"
    return Problem(source, f"invalid YAML: {what}")


def _too_deep(source: Source) -> Problem:
    return Problem(source, f"nesting deeper than {MAX_DEPTH} levels")


def _source(node: yaml.Node | yaml.Event, name: str) -> Source:
    mark = node.start_mark
    if mark is None:  # pragma: no cover - the parsers always set marks
        return Source(name)
    return Source(name, mark.line + 1, mark.column + 1)


def _convert(node: yaml.Node, name: str, depth: int) -> Node:
    source = _source(node, name)
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and depth > MAX_DEPTH:
        raise YamlProblem(_too_deep(source))
    if isinstance(node, yaml.MappingNode):
        return _convert_mapping(node, name, source, depth)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, name, depth + 1) for item in node.value], source)
    if isinstance(node, yaml.ScalarNode):
        return Node(_scalar(node, source), source)
    raise YamlProblem(Problem(source, "unsupported YAML node"))  # pragma: no cover


def _convert_mapping(node: yaml.MappingNode, name: str, source: Source, depth: int) -> Node:
    if node.tag == "tag:yaml.org,2002:merge" or any(
        k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value
    ):
        raise YamlProblem(Problem(source, "merge keys ('<<') are not supported"))
    values: dict[str, Node] = {}
    keys: dict[str, Source] = {}
    for key_node, value_node in node.value:
        key_source = _source(key_node, name)
        if not isinstance(key_node, yaml.ScalarNode):
            raise YamlProblem(Problem(key_source, "keys must be plain text"))
        key = _scalar(key_node, key_source)
        if not isinstance(key, str | int) or isinstance(key, bool):
            raise YamlProblem(Problem(key_source, f"key {key!r} must be text"))
        key = str(key)
        if key in values:
            first = keys[key]
            message = f"duplicate key {key!r} (first at line {first.line})"
            raise YamlProblem(Problem(key_source, message))
        values[key] = _convert(value_node, name, depth + 1)
        keys[key] = key_source
    return Node(values, source, keys)


_NOT_SCALARS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("binary", "set", "omap", "pairs", "map", "seq")
)


def _scalar(node: yaml.ScalarNode, source: Source) -> Any:
    if node.tag == _INT_TAG:
        return _integer(node, source)
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    if node.tag in _NOT_SCALARS:  # `!!set "x"` would be an empty set, `!!binary` bytes
        raise YamlProblem(Problem(source, f"tag {tag!r} is not allowed"))
    try:
        return _SCALARS.construct_object(node)
    except ConstructorError:
        raise YamlProblem(Problem(source, f"tag {tag!r} is not allowed")) from None
    except (ValueError, KeyError, AttributeError, TypeError):  # `!!float "false"` and such
        raise YamlProblem(Problem(source, _cannot_read(node, tag))) from None
    finally:
        # The constructor remembers every node it has built (for aliases); this one
        # is shared by every file a process reads, so it must not keep them all.
        _SCALARS.constructed_objects.clear()


def _cannot_read(node: yaml.ScalarNode, tag: str) -> str:
    """Why a tagged text is refused: described, never quoted (it may be a patient's note)."""
    size = len(str(node.value))
    return f"a text of {size:,} character{'' if size == 1 else 's'} cannot be read as {tag}"


def _integer(node: yaml.ScalarNode, source: Source) -> int | Unreadable:
    """A whole number in plain decimal digits; anything else as YAML 1.1 would misread it."""
    text = str(node.value)
    digits = len(text.lstrip("+-"))
    if digits > MAX_DIGITS:
        return Unreadable(f"a number of {digits:,} digits")
    try:
        value = _SCALARS.construct_object(node)
    except ValueError:
        raise YamlProblem(Problem(source, _cannot_read(node, "!!int"))) from None
    if DECIMAL.fullmatch(text):
        return int(value)
    return Unreadable(f"{text} (YAML 1.1 reads it as {value}; write plain decimal digits)")


def plain_nodes(value: Any, where: Source) -> Node:
    """Plain data (from JSON or the fast reader) as nodes that all point at one place."""
    if isinstance(value, dict):
        items = {str(k): plain_nodes(v, where) for k, v in value.items()}
        return Node(items, where, dict.fromkeys(items, where))
    if isinstance(value, list):
        return Node([plain_nodes(v, where) for v in value], where)
    return Node(value, where)


def suggest(word: str, options: Sequence[str]) -> str:
    """A ` (did you mean 'x'?)` hint, or an empty string."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def iter_yaml_files(folder: Path) -> Iterator[Path]:
    """The `*.yaml` / `*.yml` entries of a folder, in file-name order.

    Every entry so named, whatever it is: one that is not a readable regular
    file (a dangling link, a folder, a pipe) must be reported by the reader,
    never silently left out, or a rules file missing would drop its rules.
    """
    files = [p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"}]
    yield from sorted(files, key=lambda p: p.name)


def describe(value: Any) -> str:
    """A short, quoted rendering of a found value for error messages."""
    if isinstance(value, Node):
        value = value.plain()
    if isinstance(value, Unreadable):
        return value.text
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = json.dumps(value, ensure_ascii=False, default=str)
    if not text.isprintable():  # C1 controls, line separators, bidi marks: escaped
        text = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    return text if len(text) <= 60 else text[:57] + "..."

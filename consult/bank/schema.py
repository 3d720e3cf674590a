"""Typed accessors over positioned YAML nodes that record problems instead of raising."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from consult.bank.yamlsource import Node, describe, suggest
from consult.errors import Problem

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_REF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
ID_PATTERNS = {"id": _ID, "rule": _RULE_ID, "reference": _REF_ID}


@dataclass
class Checker:
    """Collects problems while reading one object (named by `owner`)."""

    owner: str
    problems: list[Problem]

    def name_from(self, kind: str, node: Node) -> None:
        """Name the owner by the object's id as early as possible, e.g. `rule 'x'`."""
        ident = node.value.get("id") if node.is_mapping else None
        if ident is not None and isinstance(ident.value, str):
            self.owner = f"{kind} {ident.value!r}"

    def fail(self, node: Node, message: str) -> None:
        """Record a problem at the node."""
        prefix = f"{self.owner}: " if self.owner else ""
        self.problems.append(Problem(node.source, prefix + message))

    def fields(
        self, node: Node, required: Iterable[str], optional: Iterable[str] = ()
    ) -> dict[str, Node] | None:
        """The mapping's entries, after reporting unknown and missing keys."""
        if not node.is_mapping:
            self.fail(node, f"expected a mapping, got {describe(node)}")
            return None
        required = tuple(required)
        allowed = (*required, *optional)
        assert node.key_sources is not None
        for key, source in node.key_sources.items():
            if key not in allowed:
                hint = suggest(key, allowed)
                self.fail(Node(None, source), f"unknown key {key!r}{hint}")
        missing = [k for k in required if k not in node.value]
        for key in missing:
            self.fail(node, f"missing key {key!r}")
        return dict(node.value)

    def text(self, fields: dict[str, Node], key: str, default: str = "") -> str:
        """A text field (block scalars lose their trailing newline)."""
        node = fields.get(key)
        if node is None:
            return default
        if not isinstance(node.value, str) or not node.value.strip():
            self.fail(node, f"{key!r} must be non-empty text, got {describe(node)}")
            return default
        return node.value.rstrip("\n")

    def integer(self, fields: dict[str, Node], key: str) -> int | None:
        """A whole-number field."""
        node = fields.get(key)
        if node is None:
            return None
        if not isinstance(node.value, int) or isinstance(node.value, bool):
            self.fail(node, f"{key!r} must be a whole number, got {describe(node)}")
            return None
        return int(node.value)

    def flag(self, fields: dict[str, Node], key: str) -> bool:
        """A true/false field, false when absent."""
        node = fields.get(key)
        if node is None:
            return False
        if not isinstance(node.value, bool):
            self.fail(node, f"{key!r} must be true or false, got {describe(node)}")
            return False
        return bool(node.value)

    def ident(self, fields: dict[str, Node], key: str = "id", kind: str = "id") -> str:
        """An id field matching the id pattern of its kind."""
        node = fields.get(key)
        if node is None:
            return ""
        value: Any = node.value
        if not isinstance(value, str) or not ID_PATTERNS[kind].match(value):
            shape = "lower-case letters, digits and '_'"
            if kind == "rule":
                shape = "lower-case letters, digits, '_', '-' and '.'"
            elif kind == "reference":
                shape = "letters, digits, '_', '-' and '.'"
            self.fail(node, f"{key!r} must be {shape}, got {describe(node)}")
            return ""
        return value

    def items(self, fields: dict[str, Node], key: str) -> list[Node]:
        """A list field's items (empty when absent or not a list)."""
        node = fields.get(key)
        if node is None:
            return []
        if not node.is_list:
            self.fail(node, f"{key!r} must be a list, got {describe(node)}")
            return []
        return list(node.value)

    def ids(self, fields: dict[str, Node], key: str, kind: str = "id") -> tuple[str, ...]:
        """A list of ids; a single id is accepted as a one-item list."""
        node = fields.get(key)
        if node is None:
            return ()
        raw = node.value if node.is_list else [node]
        found: list[str] = []
        for item in raw:
            sub = item if isinstance(item, Node) else node
            if not isinstance(sub.value, str) or not ID_PATTERNS[kind].match(sub.value):
                self.fail(sub, f"{key!r} must list ids, got {describe(sub)}")
                continue
            found.append(sub.value)
        return tuple(found)

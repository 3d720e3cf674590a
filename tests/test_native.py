"""The compiled hot path (setup.py): in use exactly where the build was asked to compile it."""

from __future__ import annotations

import os

import pytest

from tests.native import compiled, listed, origin

EXPECTED = os.environ.get("CONSULT_EXPECT_COMPILED", "")


def test_every_listed_module_is_part_of_the_package() -> None:
    for module in listed():
        assert origin(module).exists(), module


@pytest.mark.skipif(
    EXPECTED not in ("0", "1"),
    reason="CONSULT_EXPECT_COMPILED=1 or 0 (set by .ci/run) says what the build should give",
)
def test_the_hot_path_is_compiled_or_not_as_asked() -> None:
    # CI sets it: a build that fell back to plain Python must not pass unnoticed,
    # nor a plain-Python run that is in fact testing compiled modules.
    wanted = EXPECTED == "1"
    assert [m for m in listed() if compiled(m) != wanted] == []

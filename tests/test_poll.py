"""The tests' one readiness poll returns the first truthy answer, or fails naming what."""

from __future__ import annotations

import pytest

from tests.support.poll import until


def test_returns_the_first_truthy_answer():
    answers = iter([None, [], 0, ["ready"], ["later"]])
    assert until(lambda: next(answers), "ready", timeout=5, every=0) == ["ready"]


def test_fails_naming_what_never_came():
    asked = []
    with pytest.raises(AssertionError, match=r"^the folder read: not within 0 s$"):
        until(lambda: asked.append(1), "the folder read", timeout=0, every=0)
    assert asked == [1]  # asked once even with no time left

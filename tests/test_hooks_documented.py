"""Guard: every hookspec in kolrules.hookspecs is documented in docs/plugins/hooks.md, under
a heading with its name and arguments, with its exact signature in a code block, and no
hook is documented that does not exist."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kolrules import hookspecs

HOOKS_MD = Path(__file__).resolve().parent.parent / "docs" / "plugins" / "hooks.md"
HOOKS = sorted(
    name
    for name, obj in vars(hookspecs).items()
    if name.startswith("kolrules_") and callable(obj) and hasattr(obj, "kolrules_spec")
)


def _annotation(value: Any) -> str:
    """An annotation as written in the source (the specs use postponed annotations)."""
    return value if isinstance(value, str) else inspect.formatannotation(value)


def signature_text(func: Callable[..., Any]) -> str:
    """``def name(arg: Type, ...) -> Type``, as the docs write it."""
    sig = inspect.signature(func)
    params = []
    for p in sig.parameters.values():
        text = p.name if p.annotation is p.empty else f"{p.name}: {_annotation(p.annotation)}"
        params.append(text if p.default is p.empty else f"{text} = {p.default!r}")
    returns = (
        "" if sig.return_annotation is sig.empty else f" -> {_annotation(sig.return_annotation)}"
    )
    return f"def {func.__name__}({', '.join(params)}){returns}"


@pytest.fixture(scope="module")
def doc() -> str:
    return HOOKS_MD.read_text(encoding="utf-8")


def test_there_are_hooks_to_document() -> None:
    assert len(HOOKS) >= 5, HOOKS


def test_signature_text_matches_the_spec_source() -> None:
    source = inspect.getsource(hookspecs.kolrules_platforms_register)
    text = signature_text(hookspecs.kolrules_platforms_register)
    assert text == "def kolrules_platforms_register() -> Iterable[Platform]"
    assert text in source


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_exact_signature(hook: str, doc: str) -> None:
    spec = getattr(hookspecs, hook)
    args = ", ".join(inspect.signature(spec).parameters)
    heading = f"## {hook}({args})"
    assert re.search(rf"^{re.escape(heading)}$", doc, re.MULTILINE), (
        f"docs/plugins/hooks.md has no heading {heading!r}"
    )
    section = doc.split(heading, 1)[1].split("\n## ", 1)[0]
    expected = signature_text(spec)
    assert f"```python\n{expected}\n```" in section, (
        f"the section {heading!r} of docs/plugins/hooks.md must show the exact signature "
        f"in a python code block: {expected}"
    )
    kind = "first-result" if spec.kolrules_spec.get("firstresult") else "Collected"
    assert kind in section, f"the section {heading!r} must say whether it is {kind}"
    for word in ("Receives", "Returns"):
        assert f"**{word}:**" in section, f"the section {heading!r} must say what it {word}"


def test_no_hook_is_documented_that_does_not_exist(doc: str) -> None:
    documented = re.findall(r"^## (kolrules_\w+)\(", doc, re.MULTILINE)
    assert sorted(documented) == HOOKS

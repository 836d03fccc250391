"""Every source cited in the rulesets and platform data files is listed in docs/sources.md.

Citations are keys in square brackets (``source = "[red-tips] (unverified)"``, ``#
[xhs-2022]: ...``) in ruleset ``source`` strings and in TOML comments; docs/sources.md has
an entry ``**[key]**`` for each.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CITING = sorted(
    [
        *REPO.glob("rulesets/**/*.toml"),
        *REPO.glob("plugins/**/platform.toml"),
        *REPO.glob("plugins/examples/*/src/*/rulesets/*.toml"),
    ]
)
_KEY = re.compile(r"(?<!\[)\[([a-z][a-z0-9-]*)\](?!\])")
_CITING_TEXT = re.compile(r'#.*$|^\s*source\s*=\s*"[^"]*"', re.M)
#: Table names a comment may mention ("see [fields]"): not citations.
TABLES = {"fields", "scoring", "pricing", "params", "metrics", "tiers", "columns", "verdict"}
TABLES |= {"ruleset", "rules", "numbers", "origins", "missing", "platform", "test"}


def listed() -> set[str]:
    text = (REPO / "docs" / "sources.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\*\*\[([a-z0-9-]+)\]\*\*", text, re.M))


def cited(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    found = {key for part in _CITING_TEXT.findall(text) for key in _KEY.findall(part)}
    return found - TABLES


def test_the_sources_page_lists_both_articles() -> None:
    assert {"xhs-2022", "red-tips"} <= listed()


@pytest.mark.parametrize("path", CITING, ids=lambda p: str(p.relative_to(REPO)))
def test_every_cited_source_is_listed(path: Path) -> None:
    assert cited(path) - listed() - {"untraced"} == set()


def test_the_bundled_rulesets_cite_sources() -> None:
    assert "red-tips" in cited(REPO / "rulesets" / "red-default.toml")
    assert cited(REPO / "plugins" / "kolrules_red" / "platform.toml")


def test_a_key_missing_from_the_page_is_found(tmp_path: Path) -> None:
    ruleset = tmp_path / "r.toml"
    ruleset.write_text(
        '[[rules]]\nid = "x"  # [no-such-source]\nsource = "[red-tips]; [nowhere-2099]"\n',
        encoding="utf-8",
    )
    assert cited(ruleset) - listed() == {"no-such-source", "nowhere-2099"}

"""Douyin (抖音) for kolrules: an example third-party plugin.

It registers, through kolrules' public hooks only:

- the platform ``douyin`` (aliases ``抖音``, ``tiktok-cn``): Xingtu (巨量星图) export
  headers, quotes per video length, CPM metrics and default tiers (``platform.toml``);
- the metric ``fans_max_jump``, derived from the follower history ``fans_history`` by the
  phase hooks below, which also report a history they cannot read;
- the rule kind ``follower_growth_spike`` (:mod:`kolrules_douyin.growth`);
- the scoring strategy ``cpm_value`` (:mod:`kolrules_douyin.scoring`);
- the ruleset ``douyin-default`` (``rulesets/``).

Installed, it is found through the ``kolrules`` entry-point group (``kolrules plugins``
lists it as ``douyin``). Importing it is cheap: polars is imported only when a batch of
profiles is derived or validated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kolrules import Platform, RuleKind, Scorer, hookimpl
from kolrules_douyin import history
from kolrules_douyin.growth import FOLLOWER_GROWTH_SPIKE
from kolrules_douyin.scoring import CPM_VALUE

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "PLATFORM",
    "kolrules_platforms_register",
    "kolrules_profile_derive",
    "kolrules_profile_validate",
    "kolrules_profiles_derive",
    "kolrules_profiles_validate",
    "kolrules_rule_kinds_register",
    "kolrules_rulesets_register",
    "kolrules_scorers_register",
]

#: The platform's name: the phase hooks act on rulesets for this platform only.
PLATFORM = "douyin"


def _ours(platform: Platform) -> bool:
    return platform.name == PLATFORM


# -- registration --------------------------------------------------------------------------


@hookimpl
def kolrules_platforms_register() -> Iterable[Platform]:
    """Register Douyin (``douyin``, also ``抖音``, ``tiktok-cn``)."""
    return [Platform.from_toml(files(__name__) / "platform.toml")]


@hookimpl
def kolrules_scorers_register() -> Iterable[Scorer]:
    """Register the scoring strategy ``cpm_value``."""
    return [CPM_VALUE]


@hookimpl
def kolrules_rule_kinds_register() -> Iterable[RuleKind]:
    """Register the rule kind ``follower_growth_spike``."""
    return [FOLLOWER_GROWTH_SPIKE]


@hookimpl
def kolrules_rulesets_register() -> Iterable[Path]:
    """Register the directory holding ``douyin-default``."""
    return [Path(__file__).parent / "rulesets"]


# -- phase hooks: batch forms (the columnar path) ------------------------------------------


@hookimpl
def kolrules_profiles_derive(frame: pl.DataFrame, platform: Platform) -> pl.DataFrame | None:
    """``fans_max_jump`` (Float64) for a batch of Douyin profiles; nothing for others."""
    if not _ours(platform):
        return None
    return history.max_jump_column(frame, platform).to_frame()


@hookimpl
def kolrules_profiles_validate(frame: pl.DataFrame, platform: Platform) -> pl.Series | None:
    """A String Series: null where the follower history is readable, else its first
    unreadable point."""
    if not _ours(platform):
        return None
    return history.problem_column(frame, platform)


# -- phase hooks: row forms (one profile at a time); they agree with the batch forms -------


@hookimpl
def kolrules_profile_derive(
    profile: Mapping[str, Any], platform: Platform
) -> Mapping[str, Any] | None:
    """``fans_max_jump`` for one Douyin profile; nothing for others."""
    if not _ours(platform):
        return None
    return {history.METRIC: history.max_jump(history.row_value(profile), platform)}


@hookimpl
def kolrules_profile_validate(
    profile: Mapping[str, Any], platform: Platform
) -> Iterable[str] | None:
    """The follower history's first unreadable point, if any."""
    if not _ours(platform):
        return None
    found = history.problem(history.row_value(profile), platform)
    return [] if found is None else [found]

"""Xiaohongshu (RED, 小红书) for kolrules: export headers, number formats, metrics and tiers.

The platform's data lives in ``platform.toml`` next to this module; see ``docs/platforms.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import files

from kolrules import Platform, hookimpl

__all__ = ["kolrules_platforms_register"]


@hookimpl
def kolrules_platforms_register() -> Iterable[Platform]:
    """Register RED (``red``, also ``xiaohongshu``, ``xhs``, ``小红书``, ...)."""
    return [Platform.from_toml(files(__name__) / "platform.toml")]

"""Weibo (微博) for kolrules: export headers, number formats, metrics and tiers.

The platform's data lives in ``platform.toml`` next to this module; see ``docs/platforms.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import files

from kolrules import Platform, hookimpl

__all__ = ["kolrules_platforms_register"]


@hookimpl
def kolrules_platforms_register() -> Iterable[Platform]:
    """Register Weibo (``weibo``, also ``微博``, ``sina-weibo``)."""
    return [Platform.from_toml(files(__name__) / "platform.toml")]

"""WeChat official accounts (微信公众号) for kolrules: export headers, number formats,
metrics and tiers.

The platform's data lives in ``platform.toml`` next to this module; see ``docs/platforms.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import files

from kolrules import Platform, hookimpl

__all__ = ["kolrules_platforms_register"]


@hookimpl
def kolrules_platforms_register() -> Iterable[Platform]:
    """Register WeChat (``wechat``, also ``weixin``, ``微信``, ``公众号``)."""
    return [Platform.from_toml(files(__name__) / "platform.toml")]

"""The service's settings: where it listens, which rulesets it serves, its limits, its
token and its decision log. A frozen value, turned into JSON and back so that each worker
process of ``kolrules serve --workers N`` builds the same app."""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "ENV_SETTINGS",
    "ENV_TOKEN",
    "Limits",
    "Settings",
    "is_loopback",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: The environment variable that holds the bearer token, when no --token-file is given.
ENV_TOKEN = "KOLRULES_SERVE_TOKEN"
#: The environment variable through which the settings reach the worker processes.
ENV_SETTINGS = "KOLRULES_SERVE_SETTINGS"

_MIB = 1 << 20


@attrs.frozen
class Limits:
    """What one request may ask of the service (each a setting, documented in
    docs/service.md): the size of its body, the rows it holds, and how many batch requests
    a worker evaluates at once (the others wait their turn)."""

    max_body_bytes: int = attrs.field(default=32 * _MIB, validator=attrs.validators.ge(1))
    max_rows: int = attrs.field(default=100_000, validator=attrs.validators.ge(1))
    batch_concurrency: int = attrs.field(default=2, validator=attrs.validators.ge(1))


def _path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _paths(values: Iterable[str | Path]) -> tuple[Path, ...]:
    return tuple(Path(v) for v in values)


@attrs.frozen
class Settings:
    """Everything ``kolrules serve`` is started with.

    ``rulesets_dir``: a directory of client rulesets served by name beside the bundled ones
    and those plugins register. ``plugins`` and ``plugins_dirs``: what ``-p`` and
    ``--plugins-dir`` add. ``token_file``: a file holding the bearer token; without one
    the token is read from :data:`ENV_TOKEN`, and without either there is no
    authentication (then only a loopback host is accepted unless ``allow_no_auth``).
    ``reload_interval``: seconds between two looks at the ruleset files (0: never reload).
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    rulesets_dir: Path | None = attrs.field(default=None, converter=_path)
    default_ruleset: str = "red-default"
    plugins: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    plugins_dirs: tuple[Path, ...] = attrs.field(default=(), converter=_paths)
    token_file: Path | None = attrs.field(default=None, converter=_path)
    allow_no_auth: bool = False
    decision_log: Path | None = attrs.field(default=None, converter=_path)
    decision_log_max_bytes: int = attrs.field(default=100 * _MIB, validator=attrs.validators.ge(1))
    decision_log_backups: int = attrs.field(default=10, validator=attrs.validators.ge(1))
    reload_interval: float = attrs.field(default=1.0, validator=attrs.validators.ge(0))
    limits: Limits = Limits()

    def plugin_args(self) -> tuple[object, ...]:
        """What ``Engine(plugins=...)`` is given: the plugin names, then the directories."""
        if not self.plugins_dirs:
            return self.plugins
        from kolrules.plugins import PluginsDir

        return (*self.plugins, *(PluginsDir(d) for d in self.plugins_dirs))

    def token(self) -> str | None:
        """The bearer token: the first line of ``token_file``, else :data:`ENV_TOKEN`,
        else ``None`` (no authentication). Raises ``ValueError`` for an unreadable or
        empty token file."""
        if self.token_file is not None:
            try:
                text = self.token_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(
                    f"cannot read the token file {self.token_file}: {exc}; give a readable "
                    "UTF-8 file whose first line is the token"
                ) from None
            lines = text.strip().splitlines()
            token = lines[0].strip() if lines else ""
            if not token:
                raise ValueError(
                    f"the token file {self.token_file} is empty; write the token on its first "
                    "line (for example: python -c 'import secrets; print(secrets.token_urlsafe())')"
                )
            return token
        return os.environ.get(ENV_TOKEN, "").strip() or None

    def to_json(self) -> str:
        def value(_: object, __: object, v: Any) -> Any:
            return str(v) if isinstance(v, Path) else v

        return json.dumps(attrs.asdict(self, value_serializer=value))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        data["limits"] = Limits(**data["limits"])
        return cls(**data)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

"""Optional bearer-token authentication: with a token set, every ``/v1`` request must
carry ``Authorization: Bearer <token>``, compared in constant time."""

from __future__ import annotations

import hmac

from kolrules.serve._problems import Problem

__all__ = ["BearerAuth"]


class BearerAuth:
    """Checks the ``Authorization`` header against ``token`` (``None``: no check)."""

    def __init__(self, token: str | None) -> None:
        self._token = None if token is None else token.encode("utf-8")

    @property
    def enabled(self) -> bool:
        return self._token is not None

    def check(self, header: str | None) -> None:
        """Raise a 401 problem unless ``header`` carries the token."""
        if self._token is None:
            return
        scheme, _, given = (header or "").partition(" ")
        if scheme.casefold() != "bearer" or not given.strip():
            raise Problem(
                "unauthorized",
                "send the service's token in an 'Authorization: Bearer <token>' header",
            )
        if not hmac.compare_digest(given.strip().encode("utf-8"), self._token):
            raise Problem(
                "unauthorized",
                "the bearer token is not the service's; check the token you were given",
            )

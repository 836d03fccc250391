"""Problem details (RFC 9457, ``application/problem+json``): every request the service
refuses gets one, with a ``type`` naming the kind of problem (``urn:kolrules:problem:...``,
listed in docs/service.md), a ``title``, the HTTP ``status``, a ``detail`` that says what
to do, and the ``request_id``."""

from __future__ import annotations

from typing import Any

__all__ = ["PROBLEMS", "PROBLEM_JSON", "Problem", "problem_body"]

PROBLEM_JSON = "application/problem+json"

#: Each kind of problem: its HTTP status and title.
PROBLEMS: dict[str, tuple[int, str]] = {
    "malformed-json": (400, "The request body is not valid JSON"),
    "bad-parameter": (400, "A query parameter is not valid"),
    "unauthorized": (401, "A valid bearer token is required"),
    "not-found": (404, "No such resource"),
    "unknown-ruleset": (404, "No ruleset of that name is served"),
    "method-not-allowed": (405, "The method is not allowed on this resource"),
    "body-too-large": (413, "The request body is over the size limit"),
    "too-many-rows": (413, "The request holds more rows than the limit"),
    "unsupported-media-type": (415, "The request body's content type is not accepted"),
    "unusable-input": (422, "The profiles in the request cannot be read"),
    "internal-error": (500, "Internal error"),
    "decision-log-failed": (503, "The decision could not be written to the decision log"),
    "ruleset-unavailable": (503, "The ruleset has no working version"),
}


class Problem(Exception):
    """A request refused, as a problem of one of the :data:`PROBLEMS` kinds; ``status``
    overrides the kind's status (an unknown ruleset is 404 as a resource, 422 as a
    request's parameter); ``extra`` are members added to the problem object."""

    def __init__(self, kind: str, detail: str, *, status: int | None = None, **extra: Any) -> None:
        if kind not in PROBLEMS:
            raise ValueError(f"unknown problem kind {kind!r}")  # pragma: no cover - a bug
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status if status is not None else PROBLEMS[kind][0]
        self.extra = extra


def problem_body(problem: Problem, instance: str, request_id: str) -> dict[str, Any]:
    """The problem object of ``problem`` for the request to ``instance``."""
    return {
        "type": f"urn:kolrules:problem:{problem.kind}",
        "title": PROBLEMS[problem.kind][1],
        "status": problem.status,
        "detail": problem.detail,
        "instance": instance,
        "request_id": request_id,
        **problem.extra,
    }

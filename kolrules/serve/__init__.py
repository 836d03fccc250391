"""The service wing: ``kolrules serve``, kolrules over HTTP (docs/service.md).

- :mod:`~kolrules.serve._settings`: the settings and limits (frozen values);
- :mod:`~kolrules.serve._app`: the Starlette app, its routes and problem details
  (:mod:`~kolrules.serve._problems`), bearer tokens (:mod:`~kolrules.serve._auth`);
- :mod:`~kolrules.serve._rulesets`: the served rulesets, loaded once and reloaded when
  their files change, each reload validated first;
- :mod:`~kolrules.serve._evaluate`: a request's profiles read and evaluated into the
  decision JSON of ``kolrules evaluate --format json``;
- :mod:`~kolrules.serve._log`: the decision log; :mod:`~kolrules.serve._replay`:
  ``kolrules replay``;
- :mod:`~kolrules.serve.openapi`: the OpenAPI 3.1 document;
- :mod:`~kolrules.serve._server`: running it on uvicorn.

It needs the ``serve`` extra (``pip install 'kolrules[serve]'``). This module only hands
names on.
"""

from __future__ import annotations

from kolrules.serve._app import create_app
from kolrules.serve._log import DecisionLog, DecisionLogError
from kolrules.serve._replay import Change, Replay, replay_log
from kolrules.serve._server import run
from kolrules.serve._settings import Limits, Settings
from kolrules.serve.openapi import openapi_document

__all__ = [
    "Change",
    "DecisionLog",
    "DecisionLogError",
    "Limits",
    "Replay",
    "Settings",
    "create_app",
    "openapi_document",
    "replay_log",
    "run",
]

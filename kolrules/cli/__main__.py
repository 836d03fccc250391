"""``python -m kolrules.cli``: the same as the ``kolrules`` command."""

from __future__ import annotations

from kolrules.cli.main import main

main()

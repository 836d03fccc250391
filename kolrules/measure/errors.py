"""The errors of measuring rules against outcomes, each saying what to do next."""

from __future__ import annotations

from kolrules.errors import InputFileError, KolrulesError

__all__ = ["MEASURE_EXTRA", "LabelError", "MeasureError"]

#: What installs what measuring needs beyond kolrules' core (numpy, for the bootstrap and
#: the threshold sweep).
MEASURE_EXTRA = "pip install 'kolrules[measure]'"


class MeasureError(KolrulesError):
    """Measuring cannot be done as asked: an option out of range, or the ``measure``
    extra not installed."""


class LabelError(InputFileError):
    """The label column cannot be used: it is not in the input, or its labels give no
    measure (no row labelled, or every labelled row of one class)."""

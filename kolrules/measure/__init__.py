"""The measuring wing (``kolrules measure``): how good each rule and the verdict are
against outcomes (accounts later found fake, campaigns that paid off or did not), and
which thresholds fit them.

- :mod:`~kolrules.measure.collect`: one pass over a labelled input, what each labelled
  row brings;
- :mod:`~kolrules.measure.confusion`: a confusion matrix, its measures, their bootstrap
  intervals;
- :mod:`~kolrules.measure.judge`: :func:`measure`, every rule and the verdict measured;
- :mod:`~kolrules.measure.sweep` and :mod:`~kolrules.measure.fit`: thresholds fitted to
  the outcomes, cross-validated;
- :mod:`~kolrules.measure.overlay`: the overlay ruleset that sets them;
- :mod:`~kolrules.measure.display`: the table, JSON and CSV.

Needs numpy, the ``measure`` extra (``pip install 'kolrules[measure]'``). This module only
hands names on.
"""

from __future__ import annotations

from kolrules.measure.confusion import FITS, MEASURES, RESAMPLES, Confusion, Interval
from kolrules.measure.errors import MEASURE_EXTRA, LabelError, MeasureError
from kolrules.measure.fit import FOLDS, MIN_SUPPORT, Suggestion
from kolrules.measure.judge import REDUNDANT, Measured, Measurement, Pair, RuleMeasure, measure

__all__ = [
    "FITS",
    "FOLDS",
    "MEASURES",
    "MEASURE_EXTRA",
    "MIN_SUPPORT",
    "REDUNDANT",
    "RESAMPLES",
    "Confusion",
    "Interval",
    "LabelError",
    "MeasureError",
    "Measured",
    "Measurement",
    "Pair",
    "RuleMeasure",
    "Suggestion",
    "measure",
]

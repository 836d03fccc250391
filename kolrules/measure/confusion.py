"""A confusion matrix against the outcomes, the measures read from it, and their bootstrap
intervals.

"Positive" is what the label says (an account later found fake, a campaign that did not pay
off); a rule *predicts* positive where it fails, the verdict where it is ``reject`` (or
``reject`` or ``review``). The measures, for ``tp``, ``fp``, ``tn``, ``fn``:

- precision ``tp / (tp + fp)``, recall ``tp / (tp + fn)``, F1 ``2 tp / (2 tp + fp + fn)``,
  accuracy ``(tp + tn) / n``;
- MCC (Matthews' correlation) ``(tp tn - fp fn) / sqrt((tp + fp)(tp + fn)(tn + fp)(tn + fn))``;
- lift ``precision / (positives / n)``: how many times likelier a row the rule flags is
  positive than any row;
- Youden's J ``recall + tn / (tn + fp) - 1`` (for fitting thresholds only).

Where a denominator is 0 (a rule that never fails has no precision) the measure is 0, as
scikit-learn's ``zero_division=0`` and its ``matthews_corrcoef`` have it.

The intervals are percentile intervals from :data:`RESAMPLES` bootstrap resamples of the
labelled rows. Resampling ``n`` rows with replacement puts ``Multinomial(n, cells / n)``
rows in the four cells, so the resamples are drawn as that (numpy's ``multinomial``, all at
once): the same distribution as resampling the rows, in microseconds whatever ``n``.
"""

from __future__ import annotations

import importlib.util
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from kolrules.measure.errors import MEASURE_EXTRA, MeasureError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]

__all__ = [
    "FITS",
    "MEASURES",
    "RESAMPLES",
    "Confusion",
    "Interval",
    "bootstrap",
    "require_numpy",
    "score",
    "scores",
]

#: The measures reported for every rule and for the verdict, in order.
MEASURES = ("precision", "recall", "f1", "accuracy", "mcc", "lift")
#: The measures a threshold can be fitted to (``--fit``).
FITS = ("mcc", "f1", "youden")
#: Bootstrap resamples behind each 95 % interval.
RESAMPLES = 2_000
#: The interval's ends, in percent.
_ENDS = (2.5, 97.5)


def require_numpy() -> None:
    """Raise :class:`MeasureError`, saying what to install, when numpy is missing."""
    if importlib.util.find_spec("numpy") is None:  # pragma: no cover - tests have numpy
        raise MeasureError(f"measuring rules against outcomes needs numpy: {MEASURE_EXTRA}")


@attrs.frozen
class Interval:
    """A 95 % bootstrap interval."""

    low: float
    high: float


@attrs.frozen
class Confusion:
    """Predictions against labels: true and false positives and negatives."""

    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    def scores(self) -> dict[str, float]:
        """Every measure of :data:`MEASURES`, and ``youden``."""
        import numpy as np

        cells = (np.array([v], dtype=np.float64) for v in attrs.astuple(self))
        return {name: float(values[0]) for name, values in scores(*cells).items()}


def _ratio(top: Floats, bottom: Floats) -> Floats:
    """``top / bottom``, 0 where ``bottom`` is 0."""
    import numpy as np

    return np.divide(top, bottom, out=np.zeros_like(top), where=bottom != 0)


def scores(tp: Floats, fp: Floats, tn: Floats, fn: Floats) -> dict[str, Floats]:
    """The measures of many confusion matrices at once (arrays of counts, as floats):
    :data:`MEASURES` and ``youden``, each an array."""
    return {name: score(name, tp, fp, tn, fn) for name in (*MEASURES, "youden")}


def score(name: str, tp: Floats, fp: Floats, tn: Floats, fn: Floats) -> Floats:
    """One measure of many confusion matrices at once (see :func:`scores`)."""
    import numpy as np

    if name == "precision":
        return _ratio(tp, tp + fp)
    if name == "recall":
        return _ratio(tp, tp + fn)
    if name == "f1":
        return _ratio(2 * tp, 2 * tp + fp + fn)
    if name == "accuracy":
        return _ratio(tp + tn, tp + fp + tn + fn)
    if name == "mcc":
        # Each pair multiplied apart: the product of all four passes 2**53 from 100k rows.
        spread = np.sqrt((tp + fp) * (tp + fn)) * np.sqrt((tn + fp) * (tn + fn))
        return _ratio(tp * tn - fp * fn, spread)
    if name == "lift":
        return _ratio(_ratio(tp, tp + fp) * (tp + fp + tn + fn), tp + fn)
    if name == "youden":
        return _ratio(tp, tp + fn) + _ratio(tn, tn + fp) - 1.0
    raise ValueError(f"unknown measure {name!r}")


def bootstrap(
    confusion: Confusion, *, seed: int, key: str, resamples: int = RESAMPLES
) -> Mapping[str, Interval]:
    """The 95 % interval of each measure of :data:`MEASURES`, from ``resamples`` resamples
    of the ``confusion.n`` rows. The draws depend on ``seed`` and ``key`` (a rule's id)
    only, so a rule's interval does not change when another rule is added."""
    import numpy as np

    n = confusion.n
    rng = np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])
    cells = np.array(attrs.astuple(confusion), dtype=np.float64)
    draws = rng.multinomial(n, cells / n, size=resamples).astype(np.float64)
    found = scores(draws[:, 0], draws[:, 1], draws[:, 2], draws[:, 3])
    out = {}
    for name in MEASURES:
        low, high = np.percentile(found[name], _ENDS)
        out[name] = Interval(float(low), float(high))
    return out

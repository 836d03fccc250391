"""The best threshold of one comparison ``value op threshold`` against labels, in one sort.

A rule ``value >= threshold`` fails (predicts positive) below the threshold, so the rows it
fails are a prefix of the rows sorted by value (``<=`` and ``<``: a suffix). Sorting the
values once and summing the positives along them gives the confusion matrix at every cut
between two distinct values: O(n log n) for all of them, then every measure at once
(:func:`kolrules.measure.confusion.score`).

Rows whose value is not compared (the rule did not apply, or its value is missing: a
``missing = "fail"`` rule fails them whatever the threshold) keep their outcome; they come
in as the fixed part of the matrix.

Of the cuts that score best, the one whose range of thresholds holds the current value,
else the nearest to it, is taken: the least change that scores as well. The threshold
itself is the current value when it makes that cut, else the roundest number that does
(:func:`roundest`): 1.5 rather than 1.4987.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

from kolrules.measure.confusion import Confusion, score

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["OPS", "best_threshold", "confusion_at", "roundest"]

#: The comparisons a threshold is fitted for, each with whether the rule fails below the
#: threshold (``value >= t`` fails for values below ``t``) and which ends of a cut's range
#: of thresholds are closed (lower, upper).
OPS: dict[str, tuple[bool, tuple[bool, bool]]] = {
    ">=": (True, (False, True)),
    ">": (True, (True, False)),
    "<=": (False, (True, False)),
    "<": (False, (False, True)),
}
#: Measures closer than this are a tie.
_TIE = 1e-12


def best_threshold(
    values: npt.NDArray[np.float64],
    labels: npt.NDArray[np.bool_],
    op: str,
    fixed: Confusion,
    fit: str,
    current: float,
    *,
    ordered: bool = False,
) -> tuple[float, Confusion]:
    """The threshold of ``value op threshold`` that maximises ``fit`` over ``values`` (the
    compared rows, with their ``labels``) and the ``fixed`` part of the matrix, and the
    confusion matrix it gives. ``values`` must not be empty; ``ordered``: they are sorted
    already (the folds of a cross-validation are cut from one sort)."""
    import numpy as np

    fails_below, closed = OPS[op]
    if ordered:
        ordered_values, flags = values, labels
    else:
        order = np.argsort(values, kind="stable")
        ordered_values, flags = values[order], labels[order]
    last = np.ones(ordered_values.size, dtype=bool)
    last[:-1] = ordered_values[1:] != ordered_values[:-1]
    distinct = ordered_values[last]
    up_to = np.flatnonzero(last) + 1  # rows at or below each distinct value
    pos_below = np.concatenate(([0], np.cumsum(flags)[last])).astype(np.float64)
    neg_below = np.concatenate(([0], up_to)).astype(np.float64) - pos_below
    if fails_below:
        tp, fp = fixed.tp + pos_below, fixed.fp + neg_below
    else:
        tp, fp = fixed.tp + pos_below[-1] - pos_below, fixed.fp + neg_below[-1] - neg_below
    positives = float(fixed.tp + fixed.fn + pos_below[-1])
    negatives = float(fixed.fp + fixed.tn + neg_below[-1])
    scored = score(fit, tp, fp, negatives - fp, positives - tp)
    ties = np.flatnonzero(scored >= scored.max() - _TIE)
    lows = np.concatenate(([-math.inf], distinct))[ties]
    highs = np.concatenate((distinct, [math.inf]))[ties]
    distance = np.where(
        current < lows, lows - current, np.where(current > highs, current - highs, 0)
    )
    at = int(np.argmin(distance))  # the first of the nearest: the lowest cut
    k, low, high = int(ties[at]), float(lows[at]), float(highs[at])
    threshold = current if _inside(current, low, high, closed) else roundest(low, high, closed)
    found = Confusion(int(tp[k]), int(fp[k]), int(negatives - fp[k]), int(positives - tp[k]))
    return threshold, found


def confusion_at(
    values: npt.NDArray[np.float64],
    labels: npt.NDArray[np.bool_],
    op: str,
    threshold: float,
    fixed: Confusion,
) -> Confusion:
    """The confusion matrix of ``value op threshold`` over ``values`` and ``labels`` (a
    row predicts positive where the comparison does not hold), plus ``fixed``."""
    import numpy as np

    compared = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}[op]
    fails = ~compared(values, threshold)
    tp = int(np.count_nonzero(fails & labels))
    fp = int(np.count_nonzero(fails & ~labels))
    fn = int(np.count_nonzero(~fails & labels))
    tn = int(values.size) - tp - fp - fn
    return Confusion(fixed.tp + tp, fixed.fp + fp, fixed.tn + tn, fixed.fn + fn)


def _inside(x: float, low: float, high: float, closed: tuple[bool, bool]) -> bool:
    above = x >= low if closed[0] else x > low
    below = x <= high if closed[1] else x < high
    return above and below


def roundest(low: float, high: float, closed: tuple[bool, bool]) -> float:
    """The number with the fewest significant digits between ``low`` and ``high`` (each
    end in the range where ``closed`` says so), the nearest to the middle among those;
    0 when the range holds it. An infinite end is taken as far from the other as the other
    is from 0 (at least 1)."""
    if math.isinf(low):
        low, closed = high - max(abs(high), 1.0), (True, closed[1])
    if math.isinf(high):
        high, closed = low + max(abs(low), 1.0), (closed[0], True)
    if _inside(0.0, low, high, closed):
        return 0.0
    middle = low + (high - low) / 2
    exponent = math.floor(math.log10(abs(middle)))
    for digits in range(1, 18):
        # The numbers of ``digits`` significant digits on either side of the middle: if
        # any such number is in the range, one of these two is.
        step = Decimal(10) ** (exponent - digits + 1)
        below = Decimal(math.floor(Decimal(middle) / step)) * step
        found = [float(v) for v in (below, below + step) if _inside(float(v), low, high, closed)]
        if found:
            return min(found, key=lambda v: abs(v - middle))
    return low if closed[0] else high  # pragma: no cover - 17 digits tell floats apart

"""`whynow learn`'s honest evaluation (SPEC §9, #23): each test AUC with a 95% interval, bootstrapped over
accounts (or contacts) rather than rows — an account's snapshots at successive dates are not independent —
and what an opaque model (gradient-boosted trees) would reach on the same split and features.

The intervals are seeded: the same snapshots give the same interval every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

RESAMPLES = 200
SEED = 0
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A test AUC and its bootstrap interval."""

    auc: float
    low: float
    high: float

    def overlaps(self, other: Interval) -> bool:
        return self.low <= other.high and other.low <= self.high

    def __str__(self) -> str:
        return f"{self.auc:.3f} (95% interval {self.low:.3f}–{self.high:.3f})"


@dataclass(frozen=True)
class Honest:
    """The test AUCs with their intervals: the learned ranking, the model's current ranking (its `rank_by`,
    or a contact's fit + engagement) and the opaque baseline."""

    learned: Interval | None
    current: Interval | None
    opaque: Interval | None

    @property
    def no_better(self) -> bool:
        """The learned ranking's interval overlaps the current one's: the data cannot tell them apart."""
        return self.learned is not None and self.current is not None and self.learned.overlaps(self.current)


def auc_interval(
    y: np.ndarray[Any, Any], scores: np.ndarray[Any, Any], groups: np.ndarray[Any, Any], resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Interval | None:  # fmt: skip
    """The AUC of `scores` against `y` and its 95% percentile interval over `resamples` bootstrap samples of
    the groups (each group drawn with replacement, its rows weighted by how often it was drawn); None without
    both classes.

    >>> y, s = np.array([0, 1, 0, 1, 1, 0]), np.array([0.1, 0.9, 0.3, 0.7, 0.2, 0.4])
    >>> found = auc_interval(y, s, np.array(["a", "a", "b", "b", "c", "c"]))
    >>> round(found.auc, 3), found.low <= found.auc <= found.high
    (0.778, True)
    """
    if len(y) == 0 or len(np.unique(y)) < 2:
        return None
    _, group = np.unique(groups, return_inverse=True)
    _, level = np.unique(scores, return_inverse=True)  # tied scores count half (the Mann-Whitney statistic)
    positive = np.asarray(y, dtype=bool)
    point = _weighted_auc(np.ones(len(y)), positive, level)
    n = int(group.max()) + 1
    drawn = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=resamples)
    found = np.array([_weighted_auc(counts[group].astype(float), positive, level) for counts in drawn])
    found = found[~np.isnan(found)]  # a sample with one class only has no AUC
    if not len(found):
        return Interval(point, point, point)
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(found, [tail, 100 - tail])
    return Interval(point, float(low), float(high))


def _weighted_auc(weight: np.ndarray[Any, Any], positive: np.ndarray[Any, Any], level: np.ndarray[Any, Any]) -> float:
    """P(a positive outranks a negative), ties half, each row counted `weight` times."""
    levels = int(level.max()) + 1
    pos = np.bincount(level, weights=weight * positive, minlength=levels)
    neg = np.bincount(level, weights=weight * ~positive, minlength=levels)
    pairs = pos.sum() * neg.sum()
    if pairs == 0:
        return float("nan")
    below = np.cumsum(neg) - neg
    return float((pos * (below + neg / 2)).sum() / pairs)


def evaluate(table: pa.Table, features: int, train: np.ndarray[Any, Any], scores: np.ndarray[Any, Any],
             group: str) -> Honest:  # fmt: skip
    """The intervals of the learned ranking (`scores`, of the test rows) and of the current one
    (`rank_value`) on the test rows of `table` (label, rank_value, x0…x{features-1}, `group`), and a
    HistGradientBoostingClassifier fitted on the training rows' features and scored on the test rows."""
    test = ~train
    y = np.asarray(table["label"].to_numpy(zero_copy_only=False), dtype=int)
    groups = np.asarray(table[group].to_numpy(zero_copy_only=False))[test]
    rank = np.nan_to_num(np.asarray(table["rank_value"].to_numpy(zero_copy_only=False), dtype=float))
    return Honest(
        learned=auc_interval(y[test], scores, groups),
        current=auc_interval(y[test], rank[test], groups),
        opaque=auc_interval(y[test], _opaque_scores(table, features, train, y), groups),
    )


def _opaque_scores(table: pa.Table, features: int, train: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> Any:
    """Gradient-boosted trees (seeded) on the same features and training rows: the test rows' probabilities."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    test = ~train
    if not features or not test.any() or len(np.unique(y[train])) < 2:
        return np.zeros(int(test.sum()))
    x = np.column_stack(
        [np.nan_to_num(np.asarray(table[f"x{i}"].to_numpy(zero_copy_only=False), dtype=float)) for i in range(features)]
    )
    fitted = HistGradientBoostingClassifier(random_state=SEED).fit(x[train], y[train])
    return fitted.predict_proba(x[test])[:, 1]

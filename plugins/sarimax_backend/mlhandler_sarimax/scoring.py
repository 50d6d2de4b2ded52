"""Scores of predictions against actual values.

The default, `mean_absolute_error`, is the plain MAE: positive, lower is better (the reference's
SARIMAX score). `_metric=` also takes any scikit-learn regression scorer name (`r2`,
`neg_mean_absolute_error`, `neg_root_mean_squared_error`, …), computed exactly as scikit-learn
computes it, sign included: its `neg_*` scorers are negated so that greater is better.
"""

from __future__ import annotations

import numpy as np

from mlhandler.errors import BadRequest

DEFAULT_METRIC = "mean_absolute_error"
ALIASES = {"mae": DEFAULT_METRIC, DEFAULT_METRIC: DEFAULT_METRIC}
REGRESSION_HINT = (
    "mean_absolute_error (the default), r2, neg_mean_absolute_error, neg_mean_squared_error, "
    "neg_root_mean_squared_error, neg_median_absolute_error, explained_variance, max_error"
)


def mean_absolute_error(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(predicted))))


def score(metric: str | None, actual: np.ndarray, predicted: np.ndarray) -> tuple[float, str]:
    """(value, metric name) of `metric` (default MAE) for these predictions."""
    name = ALIASES.get((metric or DEFAULT_METRIC).strip(), (metric or "").strip())
    if name == DEFAULT_METRIC:
        return mean_absolute_error(actual, predicted), name
    return _sklearn_score(name, actual, predicted), name


def _sklearn_score(name: str, actual: np.ndarray, predicted: np.ndarray) -> float:
    from sklearn.base import BaseEstimator, RegressorMixin
    from sklearn.metrics import get_scorer, get_scorer_names

    if name not in get_scorer_names():
        raise BadRequest(
            f"Unknown metric {name!r}; SARIMAX takes a regression metric: {REGRESSION_HINT}.",
            metric=name,
        )

    class Predicted(RegressorMixin, BaseEstimator):
        """Hands scikit-learn's scorer the predictions already made."""

        def predict(self, X):
            return predicted

    try:
        value = get_scorer(name)(Predicted(), np.zeros((len(actual), 1)), actual)
    except (AttributeError, TypeError, ValueError) as exc:
        # A classification or probability scorer (accuracy, roc_auc…) on a numeric forecast.
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise BadRequest(
            f"The metric {name!r} does not apply to SARIMAX's numeric predictions ({reason}); "
            f"use a regression metric: {REGRESSION_HINT}.",
            metric=name,
        ) from None
    return float(value)

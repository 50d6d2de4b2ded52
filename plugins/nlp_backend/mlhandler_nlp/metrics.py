"""Scores: scikit-learn scorers over sentiment probabilities; seqeval over NER tags."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlhandler.errors import BadRequest

# Scorers that judge class predictions or probabilities (not regression or clustering ones).
CLASSIFICATION = ("accuracy", "balanced_accuracy", "f1", "precision", "recall", "jaccard",
                  "roc_auc", "average_precision", "neg_log_loss", "neg_brier_score",
                  "matthews_corrcoef", "top_k_accuracy")
NER_METRICS = ("f1", "precision", "recall", "accuracy")


def classification_metrics() -> list[str]:
    from sklearn.metrics import get_scorer_names

    return sorted(n for n in get_scorer_names() if n.startswith(CLASSIFICATION))


def classification_score(proba: np.ndarray, y: np.ndarray, metric: str) -> float:
    """Score class ids `y` against `proba` (rows × labels) with a scikit-learn scorer. Class ids
    are the model's label ids, so for two labels the positive class of f1, roc_auc… is label 1
    (POSITIVE for the default sentiment model)."""
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.metrics import get_scorer

    if metric not in classification_metrics():
        raise BadRequest(
            f"Unknown metric {metric!r} for SentimentAnalysis; use a classification scorer such as "
            f"accuracy, f1, f1_macro, roc_auc or neg_log_loss.", metrics=classification_metrics(),
        )

    class Precomputed(ClassifierMixin, BaseEstimator):
        """The model's answers for these rows, in the shape scikit-learn's scorers call."""

        def fit(self, X: Any, y: Any = None) -> Precomputed:
            return self

        def predict(self, X: Any) -> np.ndarray:
            return proba.argmax(axis=1)

        def predict_proba(self, X: Any) -> np.ndarray:
            return proba

    scorer = Precomputed()
    scorer.classes_ = np.arange(proba.shape[1])
    return float(get_scorer(metric)(scorer, np.zeros((len(y), 1)), y))


def ner_report(gold: list[list[str]], predicted: list[list[str]], metric: str | None) -> dict:
    """Entity-level precision, recall and f1 (seqeval, CoNLL rules), overall and per entity
    type, and word-level accuracy. `score` is the chosen metric (f1 by default)."""
    from seqeval.metrics import accuracy_score, classification_report

    metric = metric or "f1"
    if metric not in NER_METRICS:
        raise BadRequest(
            f"Unknown metric {metric!r} for NER; use one of {list(NER_METRICS)} (entity-level, "
            f"by seqeval; accuracy is per word).", metrics=list(NER_METRICS),
        )
    report = classification_report(gold, predicted, output_dict=True, zero_division=0)
    entities = {
        name: {"precision": float(row["precision"]), "recall": float(row["recall"]),
               "f1": float(row["f1-score"]), "support": int(row["support"])}
        for name, row in report.items() if not name.endswith(" avg")
    }
    overall = report.get("micro avg", {"precision": 0.0, "recall": 0.0, "f1-score": 0.0})
    values = {"precision": float(overall["precision"]), "recall": float(overall["recall"]),
              "f1": float(overall["f1-score"]), "accuracy": float(accuracy_score(gold, predicted))}
    return {"score": values[metric], "metric": metric, **values, "entities": entities}

"""SentimentAnalysis: one label per text (a sequence-classification network)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from mlhandler.backend import Prediction, Trained
from mlhandler.errors import BadRequest
from mlhandler.options import ModelOptions, parse_bool
from mlhandler_nlp.heads import label_ids, starting_network
from mlhandler_nlp.metrics import classification_score
from mlhandler_nlp.served import NLPModel
from mlhandler_nlp.text import TEXT, scoring_rows, target_of, text_schema, texts_of, training_rows
from mlhandler_nlp.training import fine_tune

NAME = "SentimentAnalysis"
PREDICT_OPTIONS = {"_proba"}
SCORE = "score"  # the column (or key) _proba adds: the probability of the predicted label


def auto_class() -> Any:
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification


def probabilities(model: NLPModel, texts: list[str]) -> np.ndarray:
    """Rows × labels, computed `batch_size` texts at a time."""
    import torch

    size = model.settings["batch_size"]
    out = [np.zeros((0, len(model.labels)), dtype="float32")]
    for start in range(0, len(texts), size):
        inputs = model.tokenize(texts[start:start + size], truncation=True, padding=True,
                                max_length=model.max_length, return_tensors="pt")
        with torch.inference_mode():
            logits = model.network(**inputs).logits
        out.append(torch.softmax(logits.float(), dim=-1).numpy())
    return np.concatenate(out)


def predict(model: NLPModel, data: pd.DataFrame, opts: ModelOptions,
            query: dict[str, Any]) -> Prediction:
    unknown = sorted(set(query) - PREDICT_OPTIONS)
    if unknown:
        raise BadRequest(f"{NAME} does not take {unknown} when predicting; it takes "
                         f"{sorted(PREDICT_OPTIONS)}.", unknown=unknown)
    proba = query.get("_proba")
    if isinstance(proba, list):
        proba = proba[-1]
    with_score = proba is not None and parse_bool(proba, "_proba")
    p = probabilities(model, texts_of(data))
    names = model.labels
    labels = [names[i] for i in p.argmax(axis=1).tolist()]
    scores = p.max(axis=1).astype(float).tolist() if len(p) else []
    target = opts.target_col
    if not target:
        if with_score:
            pairs = zip(labels, scores, strict=True)
            return Prediction(values=[{"label": label, SCORE: score} for label, score in pairs])
        return Prediction(values=labels)
    frame = data.copy()
    frame[target] = labels
    if with_score:
        frame[SCORE] = scores
    return Prediction(frame=frame)


def train(base: NLPModel, data: pd.DataFrame, opts: ModelOptions,
          settings: dict[str, Any]) -> Trained:
    target = target_of(data, opts, NAME, "label")
    rows = training_rows(data, target, opts)
    texts = rows[TEXT].astype(str).tolist()
    labels = [label_text(v) for v in rows[target].tolist()]
    wanted = _label_order(base, labels)
    network = starting_network(base.network, auto_class(), wanted, settings["seed"])
    network.config.problem_type = "single_label_classification"
    tuned = replace(base, network=network, settings=dict(settings), fine_tuned=True)
    ids = label_ids(network)
    examples = list(zip(texts, [ids[label] for label in labels], strict=True))

    def encode(batch: list[tuple[str, int]]) -> dict:
        import torch

        inputs = tuned.tokenize([t for t, _ in batch], truncation=True, padding=True,
                                max_length=tuned.max_length, return_tensors="pt")
        return {**inputs, "labels": torch.tensor([i for _, i in batch])}

    loss = fine_tune(network, examples, encode, settings)
    accuracy = classification_score(probabilities(tuned, texts), np.array([e[1] for e in examples]),
                                    "accuracy")
    result = {"score": accuracy, "metric": "accuracy", "rows": len(rows), "loss": loss,
              "labels": tuned.labels}
    return Trained(model=tuned, schema=text_schema(target, tuned.labels), result=result)


def score(model: NLPModel, data: pd.DataFrame, opts: ModelOptions, metric: str | None) -> dict:
    data, target = scoring_rows(data, opts, "label")
    ids = label_ids(model.network)
    labels = [label_text(v) for v in data[target].tolist()]
    unknown = sorted({label for label in labels if label not in ids})
    if unknown:
        raise BadRequest(
            f"Cannot score against {target!r}: it holds {unknown[:5]}, which are not labels the "
            f"model predicts ({model.labels}). Fine-tune it on these labels first.",
            target=target,
        )
    metric = metric or "accuracy"
    value = classification_score(probabilities(model, texts_of(data)),
                                 np.array([ids[label] for label in labels]), metric)
    return {"score": value, "metric": metric, "rows": len(data)}


def label_text(value: Any) -> str:
    """Labels are text; a number read from a CSV (1 or 1.0) becomes "1"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _label_order(base: NLPModel, labels: list[str]) -> list[str]:
    """The labels the trained model will predict: the model's own when it knows every training
    label (its head is kept), else the training labels, sorted (a new head)."""
    distinct = sorted(set(labels))
    if set(distinct) <= set(base.labels):
        return base.labels
    if len(distinct) < 2:
        raise BadRequest(
            f"The training labels are all {distinct[0]!r}, which the model does not know; a new "
            f"label set needs at least two labels (e.g. NEGATIVE and POSITIVE).",
        )
    return distinct

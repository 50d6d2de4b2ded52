"""The mlhandler backend of SentimentAnalysis and NER: a PretrainedBackend whose models serve
before any training and are fine-tuned (warm-started from the served model) by `train`."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mlhandler.backend import Prediction, Trained
from mlhandler.options import ModelOptions
from mlhandler.schema import Schema
from mlhandler.specs import EstimatorSpec
from mlhandler_nlp.loading import load_pretrained
from mlhandler_nlp.params import SOURCE_PARAMS, coerce_params, settings
from mlhandler_nlp.served import NLPModel
from mlhandler_nlp.tasks import TASKS
from mlhandler_nlp.text import text_schema


class NLPBackend:
    def coerce_params(self, spec: EstimatorSpec, raw: dict[str, Any]) -> dict[str, Any]:
        return coerce_params(spec.name, raw)

    def pretrained(self, spec: EstimatorSpec, params: dict[str, Any], opts: ModelOptions,
                   changed: set[str] | None) -> Trained | None:
        if changed is not None and not changed & set(SOURCE_PARAMS):
            return None  # training settings changed: the served (maybe fine-tuned) model stays
        model = load_pretrained(TASKS[spec.name], settings(spec.name, params))
        return Trained(model=model, schema=text_schema())

    def train(self, spec: EstimatorSpec, params: dict[str, Any], data: pd.DataFrame,
              opts: ModelOptions, current: Any = None) -> Trained:
        task = TASKS[spec.name]
        full = settings(spec.name, params)
        # Fine-tuning continues from the served model; with none (it failed to load, or the class
        # just changed), from the pretrained model the params name.
        base = current if isinstance(current, NLPModel) and current.task == spec.name else None
        if base is None:
            base = load_pretrained(task, full)
        return task.module.train(base, data, opts, full)

    def predict(self, model: NLPModel, data: pd.DataFrame, opts: ModelOptions,
                schema: Schema | None, query: dict[str, Any]) -> Prediction:
        return TASKS[model.task].module.predict(model, data, opts, query)

    def score(self, model: NLPModel, data: pd.DataFrame, opts: ModelOptions,
              schema: Schema | None, metric: str | None) -> dict[str, Any]:
        return TASKS[model.task].module.score(model, data, opts, metric)

    def model_params(self, model: NLPModel) -> dict[str, Any]:
        """What the model was built with: its source and every setting, defaults filled in."""
        return dict(model.settings)

    def fitted_attrs(self, model: NLPModel) -> dict[str, Any]:
        config = model.network.config
        return {
            "labels": model.labels,
            "source": model.source,
            "fine_tuned": model.fine_tuned,
            "model_type": getattr(config, "model_type", None),
            "architecture": type(model.network).__name__,
            "num_parameters": int(sum(p.numel() for p in model.network.parameters())),
            "vocab_size": getattr(config, "vocab_size", None),
            "tokenizer": type(model.tokenizer).__name__,
            "max_length": model.max_length,
        }

    def identify(self, model: Any) -> str | None:
        return model.task if isinstance(model, NLPModel) else None


BACKEND = NLPBackend()

"""What the core asks of a backend. Each `EstimatorSpec.backend` is an object with these methods.

The core owns HTTP, data parsing, the cache, persistence and concurrency; a backend owns what is
specific to its family of models: building, fitting, predicting, scoring and describing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from mlhandler.options import ModelOptions
from mlhandler.schema import Schema
from mlhandler.specs import EstimatorSpec


@dataclass
class Trained:
    """A fitted model and what training says about it."""

    model: Any
    schema: Schema | None
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class Prediction:
    """`frame` (records: input columns + target) or `values` (a bare list / matrix)."""

    frame: pd.DataFrame | None = None
    values: Any = None


class Backend(Protocol):
    def coerce_params(self, spec: EstimatorSpec, raw: dict[str, Any]) -> dict[str, Any]:
        """Validate constructor params (text from HTTP or typed from YAML) and cast them to the
        types the class expects. Raise BadRequest naming a bad or unknown parameter."""

    def train(
        self, spec: EstimatorSpec, params: dict[str, Any], data: pd.DataFrame, opts: ModelOptions
    ) -> Trained:
        """Build and fit a model on `data` (the whole cache, transformed) and score it."""

    def predict(self, model: Any, data: pd.DataFrame, opts: ModelOptions, schema: Schema | None,
                query: dict[str, Any]) -> Prediction:
        """Predict one output per input row, in order. `query` holds `_`-options (e.g. _proba)."""

    def score(self, model: Any, data: pd.DataFrame, opts: ModelOptions, schema: Schema | None,
              metric: str | None) -> dict[str, Any]:
        """Score on `data`: {"score", "metric", "rows"}."""

    def model_params(self, model: Any) -> dict[str, Any]:
        """Constructor parameters of the final estimator, JSON-safe."""

    def fitted_attrs(self, model: Any) -> dict[str, Any]:
        """Fitted attributes of the final estimator, JSON-safe."""

    def identify(self, model: Any) -> EstimatorSpec | str | None:
        """For a model loaded from a file (`model.path`, or a model.pkl in config_dir): if this
        backend serves it, the name of a registered class, or an EstimatorSpec for a class it
        serves but does not register by name; else None."""

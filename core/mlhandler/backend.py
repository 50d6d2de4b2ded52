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

    @property
    def payload(self) -> Any:
        """What the answer renders: the records frame, else the bare values."""
        return self.frame if self.frame is not None else self.values


class Backend(Protocol):
    def coerce_params(self, spec: EstimatorSpec, raw: dict[str, Any]) -> dict[str, Any]:
        """Validate constructor params (text from HTTP or typed from YAML) and cast them to the
        types the class expects. Raise BadRequest naming a bad or unknown parameter."""

    def train(
        self, spec: EstimatorSpec, params: dict[str, Any], data: pd.DataFrame, opts: ModelOptions,
        current: Any = None,
    ) -> Trained:
        """Build and fit a model on `data` (the whole cache, transformed) and score it.
        `current` is the model this endpoint serves now, if it is of the same class: a backend
        that fine-tunes (rather than fits afresh) continues from it; others ignore it."""

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


class PretrainedBackend(Backend, Protocol):
    """Optional: a backend whose models serve before any training (e.g. a pretrained model named
    by a parameter). The core calls `pretrained` when an endpoint of this class has no trained
    model: at startup, when a PUT changes the class or its parameters, after DELETE ?delete=model.
    """

    def pretrained(self, spec: EstimatorSpec, params: dict[str, Any], opts: ModelOptions,
                   changed: set[str] | None) -> Trained | None:
        """Load the model `params` name. `changed` is None when nothing is loaded yet, else the
        parameter names a PUT changed: return None to keep serving the current model.
        Raise ServiceUnavailable (naming the model and how to fix it) when it cannot load; at
        startup that leaves the endpoint answering 503 while the rest of the server works."""


class ForecastBackend(Backend, Protocol):
    """Optional: a backend that forecasts the periods after its training data (`GET ?_steps=N`)."""

    def forecast(self, model: Any, steps: int, opts: ModelOptions, schema: Schema | None,
                 query: dict[str, Any]) -> Prediction:
        """The next `steps` periods; `query` holds the other `_`-options (e.g. _interval)."""

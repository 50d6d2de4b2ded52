"""Entry point of the sarimax plugin: registers `SARIMAX`, and saves and loads its models.

statsmodels is imported only inside the code that fits or loads a model, so plugin discovery
(`mlhandler plugins`, server startup) stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlhandler import EstimatorSpec, hookimpl
from mlhandler.specs import SavedModel
from mlhandler_sarimax import persistence
from mlhandler_sarimax.backend import BACKEND, NAME
from mlhandler_sarimax.model import SarimaxModel, sarimax


@hookimpl
def register_estimators() -> list[EstimatorSpec]:
    return [EstimatorSpec(name=NAME, kind="forecaster", factory=sarimax, backend=BACKEND)]


@hookimpl
def save_model(model: Any, directory: Path) -> SavedModel | None:
    if not isinstance(model, SarimaxModel):
        return None  # another plugin's model: let it (or the core's joblib store) save it
    return persistence.save(model, directory)


@hookimpl
def load_model(path: Path, format: str) -> Any | None:
    if format != persistence.FORMAT:
        return None
    return persistence.load(path)

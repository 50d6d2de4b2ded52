"""Entry point of the nlp plugin: the two classes, and persistence of their models as folders.

Nothing heavy is imported here (torch, transformers, spaCy load on first use), so that plugin
discovery stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlhandler import EstimatorSpec, hookimpl
from mlhandler.specs import SavedModel
from mlhandler_nlp.persistence import FORMAT


@hookimpl
def register_estimators() -> list[EstimatorSpec]:
    from mlhandler_nlp.backend import BACKEND
    from mlhandler_nlp.tasks import TASKS

    return [EstimatorSpec(name=name, kind="text", factory=task.factory, backend=BACKEND)
            for name, task in TASKS.items()]


@hookimpl
def save_model(model: Any, directory: Path) -> SavedModel | None:
    from mlhandler_nlp.served import NLPModel

    if not isinstance(model, NLPModel):
        return None  # not ours: the next plugin (or the core's joblib store) saves it
    from mlhandler_nlp.persistence import save

    return save(model, Path(directory))


@hookimpl
def load_model(path: Path, format: str) -> Any | None:
    if format != FORMAT:
        return None
    from mlhandler_nlp.persistence import load

    return load(Path(path))

"""Hook specifications: the whole plugin surface of mlhandler.

Collecting hooks are called once at startup; persistence hooks are `firstresult`, with the core's
joblib store registered `trylast` so any plugin can take over for the models it knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pluggy

from mlhandler.specs import EstimatorSpec, RendererSpec, SavedModel, TransformSpec

hookspec = pluggy.HookspecMarker("mlhandler")


@hookspec
def register_estimators() -> list[EstimatorSpec]:
    """Return the estimator classes this plugin provides, one spec per `class` name."""


@hookspec
def register_transforms() -> list[TransformSpec]:
    """Return data transforms usable by name in `data.transform`."""


@hookspec
def register_renderers() -> list[RendererSpec]:
    """Return response renderers. The core registers "json", "csv" and "page"; a plugin that
    registers the same name replaces the core's."""


@hookspec(firstresult=True)
def save_model(model: Any, directory: Path) -> SavedModel | None:
    """Write `model` into `directory` atomically and say what was written, or return None to
    let another plugin handle it."""


@hookspec(firstresult=True)
def load_model(path: Path, format: str) -> Any | None:
    """Load a model saved in `format` at `path`, or return None if this plugin cannot."""

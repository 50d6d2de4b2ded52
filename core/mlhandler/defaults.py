"""The core's default plugin: joblib persistence and the json/csv/page renderers.

Every hook here is an ordinary plugin hook. Persistence is `trylast`, so a backend can save and
load its own models; a renderer of the same name in another plugin replaces these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib

from mlhandler import hookimpl
from mlhandler.atomic import write_with
from mlhandler.jsonsafe import dumps
from mlhandler.specs import RendererSpec, SavedModel

JOBLIB = "joblib"
MODEL_FILE = "model.pkl"


@hookimpl(trylast=True)
def save_model(model: Any, directory: Path) -> SavedModel:
    write_with(Path(directory) / MODEL_FILE, lambda tmp: joblib.dump(model, tmp))
    return SavedModel(format=JOBLIB, path=MODEL_FILE)


@hookimpl(trylast=True)
def load_model(path: Path, format: str) -> Any | None:
    if format != JOBLIB:
        return None
    return joblib.load(path)


def _render_json(payload: Any, context: dict) -> bytes:
    return dumps(payload)


def _render_csv(payload: Any, context: dict) -> bytes:
    import pandas as pd

    if isinstance(payload, dict) and not any(isinstance(v, list | dict) for v in payload.values()):
        payload = [payload]  # a flat object (e.g. ?_model) is one row
    try:
        frame = payload if isinstance(payload, pd.DataFrame) else pd.DataFrame(payload)
    except ValueError as exc:
        from mlhandler.errors import BadRequest

        raise BadRequest(f"This answer has no table shape for CSV ({exc}); use _format=json.") from None
    return frame.to_csv(index=False).encode("utf-8")


def _render_page(payload: Any, context: dict) -> bytes:
    from mlhandler.page import render_page

    return render_page(payload, context).encode("utf-8")


@hookimpl
def register_renderers() -> list[RendererSpec]:
    return [
        RendererSpec("json", "application/json", _render_json),
        RendererSpec("csv", "text/csv; charset=utf-8", _render_csv),
        RendererSpec("page", "text/html; charset=utf-8", _render_page),
    ]

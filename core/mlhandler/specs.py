"""Small typed records that plugins return from the collecting hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

EstimatorKind = Literal["classifier", "regressor", "clusterer", "transformer", "forecaster", "text"]


@dataclass(frozen=True)
class EstimatorSpec:
    """One estimator class name a backend provides.

    `backend` is the object that builds, fits, predicts and describes models of this class;
    see `mlhandler.backend.Backend` for the methods it must have.
    """

    name: str
    kind: EstimatorKind
    factory: Callable[..., Any]
    backend: Any
    plugin: str = ""


@dataclass(frozen=True)
class TransformSpec:
    """A data transform usable by name in `data.transform`: `function(data, **options) -> data`."""

    name: str
    function: Callable[..., Any]
    description: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class RendererSpec:
    """A response format. `render(payload, context)` returns the body as bytes.

    `context` is a dict; for the "page" renderer it holds the endpoint view and the request.
    """

    name: str
    media_type: str
    render: Callable[[Any, dict], bytes]
    plugin: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SavedModel:
    """What `save_model` wrote: a format name that `load_model` understands, and the file or
    folder (relative to the directory) that `_download` serves."""

    format: str
    path: str

"""HTTP verbs of one endpoint (api.md §2): parse the request, run model work in a thread,
render the answer. Mutating requests queue on the endpoint's own executor; predictions never do."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any
from urllib.parse import unquote_plus

import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mlhandler.body import parse_body
from mlhandler.endpoint import Endpoint
from mlhandler.errors import BadRequest, NotFound, ServiceUnavailable
from mlhandler.options import OPTION_NAMES
from mlhandler.plugins import Registry

ACTIONS = ("predict", "score", "append", "train", "retrain")
# Query keys each POST action understands (besides _action and Gramex's _xsrf). Predictions also
# take any other `_option`: the backend validates those (e.g. _proba for scikit-learn).
ACTION_KEYS = {
    "predict": {"_format"},
    "score": {"_metric", "target_col"},
    "append": set(),
    "train": set(OPTION_NAMES),
    "retrain": set(OPTION_NAMES),
}
# Keys any request may carry: Gramex's XSRF token, the action, and the response format.
IGNORED_KEYS = {"_xsrf", "_action", "_format"}


def query_args(request: Request) -> dict[str, list[str]]:
    """The query's keys and their values, in order, blank values kept. As Starlette's
    `query_params` (urllib's parse_qsl) reads them, without building its objects: this runs for
    every request, and most queries need no unquoting at all."""
    args: dict[str, list[str]] = {}
    query = request.scope.get("query_string", b"").decode("latin-1")
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        if "%" in part or "+" in part:
            key = unquote_plus(key, errors="replace")
            value = unquote_plus(value, errors="replace")
        args.setdefault(key, []).append(value)
    return args


def single(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


class EndpointHandler:
    def __init__(self, endpoint: Endpoint, registry: Registry, max_body: int):
        self.endpoint = endpoint
        self.registry = registry
        self.max_body = max_body

    async def dispatch(self, request: Request) -> Response:
        # Starlette answers HEAD on GET routes; HEAD is GET without the body (the server drops it).
        verb = "get" if request.method == "HEAD" else request.method.lower()
        return await getattr(self, verb)(request, query_args(request))

    # --- GET -----------------------------------------------------------------------------------
    async def get(self, request: Request, args: dict[str, list[str]]) -> Response:
        ep = self.endpoint
        if "_model" in args:
            return self.render(await run_in_threadpool(ep.model_params), args)
        if "_params" in args:
            return self.render(await run_in_threadpool(ep.describe), args)
        if "_cache" in args:
            return await run_in_threadpool(self.render, ep.cache, args)
        if "_download" in args:
            return await run_in_threadpool(self.download)
        features = {k: v for k, v in args.items() if not k.startswith("_")}
        if not features and "_steps" in args:
            return await run_in_threadpool(self.forecast, args)
        if not features:
            return await run_in_threadpool(self.page, request, args)
        served = ep.served
        schema = served.schema if served is not None else None
        text = {c.name for c in schema.features if c.family == "str"} if schema else set()
        columns = query_columns(features, text)
        if ep.batcher is not None and self.json_is_plain(args):
            body = await ep.batcher.predict_json(columns, backend_options(args))
            return Response(body, media_type="application/json")
        return await run_in_threadpool(self.predict, pd.DataFrame(columns), args)

    def json_is_plain(self, args: dict[str, list[str]]) -> bool:
        """The answer is the core's JSON, which batched predictions render themselves."""
        renderer = self.registry.renderers.get("json")
        return args.get("_format", ["json"])[-1] == "json" and renderer is not None and renderer.plugin == "core"

    # --- POST ----------------------------------------------------------------------------------
    async def post(self, request: Request, args: dict[str, list[str]]) -> Response:
        ep = self.endpoint
        action = single(args.get("_action", ["predict"]))
        if action not in ACTIONS:
            raise BadRequest(
                f"Unknown _action={action!r}; use one of {', '.join(ACTIONS)}.", actions=list(ACTIONS)
            )
        allowed = ACTION_KEYS[action] | IGNORED_KEYS
        unknown = sorted(
            k for k in args if k not in allowed and not (action == "predict" and k.startswith("_"))
        )
        if unknown:
            raise BadRequest(
                f"_action={action} does not take {unknown}; it takes {sorted(ACTION_KEYS[action]) or 'no options'}."
                + (" Set model parameters with PUT." if action in ("train", "retrain") else ""),
                unknown=unknown,
            )
        frame = await parse_body(request, self.max_body)
        if action == "predict":
            if frame is None:
                raise BadRequest("_action=predict needs rows in the body (JSON, CSV or a file upload).")
            return await run_in_threadpool(self.predict, frame, args)
        if action == "score":
            metric = single(args["_metric"]) if "_metric" in args else None
            target = single(args["target_col"]) if "target_col" in args else None
            return self.render(await run_in_threadpool(ep.score, frame, metric, target), args)
        if action == "append" and frame is None:
            raise BadRequest("_action=append needs rows in the body (JSON, CSV or a file upload).")
        opts = {k: single(v) for k, v in args.items() if k in OPTION_NAMES}
        if action == "append":
            result = await ep.mutate(ep.append, frame)
        else:
            result = await ep.mutate(ep.train, frame, opts, action == "retrain")
        return self.render(result, args)

    # --- PUT / DELETE --------------------------------------------------------------------------
    async def put(self, request: Request, args: dict[str, list[str]]) -> Response:
        changes = {k: single(v) for k, v in args.items() if k not in IGNORED_KEYS}
        for key in OPTION_NAMES:
            if key in ("include", "exclude", "cats", "nums") and key in args:
                changes[key] = args[key]  # list options stay lists even with one value
        ep = self.endpoint
        result = await ep.mutate(ep.configure, changes)
        return self.render(result, args)

    async def delete(self, request: Request, args: dict[str, list[str]]) -> Response:
        targets = list(args.get("delete", []))
        targets += [flag[1:] for flag in ("_model", "_cache") if flag in args]
        bad = [t for t in targets if t not in ("model", "cache", "opts")]
        extra = sorted(k for k in args if k not in {"delete", "_model", "_cache", "_opts"} | IGNORED_KEYS)
        if not targets or bad or extra:
            raise BadRequest(
                "DELETE takes ?delete=model, ?delete=cache, ?delete=opts&_opts=NAME, ?_model or "
                f"?_cache; got {dict(args) or 'nothing'}.",
            )
        ep = self.endpoint
        result = await ep.mutate(ep.delete, targets, args.get("_opts", []))
        return self.render(result, args)

    # --- rendering -----------------------------------------------------------------------------
    def render(self, payload: Any, args: dict[str, list[str]]) -> Response:
        fmt = args.get("_format", ["json"])[-1]
        renderer = self.registry.renderers.get(fmt)
        if renderer is None or fmt == "page":
            names = [n for n in self.registry.renderers if n != "page"]
            raise BadRequest(f"Unknown _format={fmt!r}; use one of {names}.")
        body = renderer.render(payload, {"endpoint": self.endpoint})
        return Response(body, media_type=renderer.media_type)

    def predict(self, frame: pd.DataFrame, args: dict[str, list[str]]) -> Response:
        return self.render(self.endpoint.predict(frame, backend_options(args)).payload, args)

    def forecast(self, args: dict[str, list[str]]) -> Response:
        query = backend_options(args)
        steps = query.pop("_steps")
        prediction = self.endpoint.forecast(steps if isinstance(steps, str) else steps[-1], query)
        return self.render(prediction.payload, args)

    def page(self, request: Request, args: dict[str, list[str]]) -> Response:
        renderer = self.registry.renderers["page"]
        body = renderer.render(self.endpoint, {"request": request, "args": args})
        return Response(body, media_type=renderer.media_type)

    def download(self) -> Response:
        ep = self.endpoint
        for _ in range(3):  # a training may replace (and prune) the file while we read it
            info = ep.model_info
            if ep.served is None or info is None:
                raise NotFound("No model is trained yet, so there is nothing to download; train one first.")
            path = ep.store.model_path(info)
            try:
                if path.is_dir():
                    return _zip_response(path)
                headers = {"Content-Disposition": f'attachment; filename="{path.name}"'}
                return Response(path.read_bytes(), media_type="application/octet-stream", headers=headers)
            except FileNotFoundError:
                continue
        raise ServiceUnavailable("The model was replaced while it was being read; download it again.")


def _zip_response(path) -> Response:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in sorted(path.rglob("*")):
            if item.is_file():
                archive.write(item, item.relative_to(path))
    headers = {"Content-Disposition": f'attachment; filename="{path.name}.zip"'}
    return Response(buffer.getvalue(), media_type="application/zip", headers=headers)


def backend_options(args: dict[str, list[str]]) -> dict[str, Any]:
    """The `_options` of a prediction that are the backend's to interpret."""
    return {k: single(v) for k, v in args.items() if k.startswith("_") and k not in IGNORED_KEYS}


def query_columns(features: dict[str, list[str]], text_columns: set[str]) -> dict[str, list[Any]]:
    """`?a=1&a=2&b=3&b=4` → two rows, as columns of values. Every feature must be repeated the
    same number of times.

    Columns the model knows as text keep the text as sent ("007", "1.0"). Elsewhere a column whose
    every non-empty value is plainly a number becomes numbers (empty → None), as a CSV reader
    would read it, so a data transform sees numbers; the schema then casts every column to its
    training dtype. Plain Python, no pandas: this runs once per request on the event loop."""
    counts = {k: len(v) for k, v in features.items()}
    if len(set(counts.values())) > 1:
        raise BadRequest(
            f"Each feature must be given the same number of times (one value per row); got {counts}.",
            counts=counts,
        )
    return {name: values if name in text_columns else _numbers(values) for name, values in features.items()}


NUMBER = re.compile(r"^[+-]?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$|^[+-]?\.\d+([eE][+-]?\d+)?$")
INTEGER = re.compile(r"^[+-]?(0|[1-9]\d*)$")
INT_RANGE = (-(2**63), 2**64)  # what a 64-bit integer column holds (int64 or uint64)


def _numbers(texts: list[str]) -> list[Any]:
    """Numbers if every non-empty value is plainly one ("007" is not: it keeps its zeros)."""
    if not all(text == "" or NUMBER.match(text) for text in texts):
        return texts
    numbers: list[Any] = [None if text == "" else int(text) if INTEGER.match(text) else float(text)
                          for text in texts]
    if any(isinstance(n, int) and not INT_RANGE[0] <= n < INT_RANGE[1] for n in numbers):
        return texts  # integers beyond 64 bits stay text; the schema says what they must be
    return numbers

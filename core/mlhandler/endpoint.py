"""One MLHandler endpoint: its persisted State, training data, current model, and the operations
the HTTP layer calls.

Operations are synchronous. Reads run in the shared worker threads. Mutations go through
`Endpoint.mutate`, which runs them on the endpoint's own single-thread executor: they are
serialised per endpoint by construction, and queued mutations wait in that executor's queue
rather than holding shared worker threads, so predictions and other endpoints never starve.

Every mutation ends in `commit`: new data or model files are staged, config.json is replaced
atomically (the one commit point), and only then does memory change. A failure before that
changes nothing. Predictions read `self.served`, an immutable snapshot replaced in one assignment,
so they never wait for a training and never see half of one.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pandas as pd

from mlhandler.backend import Prediction, Trained
from mlhandler.batching import PredictionBatcher
from mlhandler.config import EndpointConfig
from mlhandler.errors import BadRequest, ConfigError, MLHandlerError, NotFound, ServiceUnavailable
from mlhandler.options import OPTION_NAMES, ModelOptions
from mlhandler.plugins import Registry
from mlhandler.schema import Column, cast_series, dtype_family
from mlhandler.startup import start
from mlhandler.state import Served, State, model_entry
from mlhandler.store import Store, gramex_slug
from mlhandler.transform import (
    Pipeline,
    TransformFailed,
    apply_transform,
    names_pipeline,
    resolve_transform,
)

log = logging.getLogger("mlhandler")

KEEP = object()
MAX_DETAIL = 300
NO_MODEL = (
    "No model is trained yet: POST ?_action=train with data (or configure data: and model.class "
    "in the YAML), after setting the class with PUT ?class=…&target_col=…."
)


class Endpoint:
    def __init__(self, cfg: EndpointConfig, registry: Registry):
        self.cfg = cfg
        self.name = cfg.name
        self.registry = registry
        self.store = Store(cfg.config_dir, registry.pm, gramex_slug=gramex_slug(cfg.name))
        where = f"url.{cfg.name}.kwargs.data.transform"
        self.yaml_transform = resolve_transform(
            cfg.data.transform if cfg.data else None, registry.transforms, where
        )
        self.transform: Pipeline | None = self.yaml_transform  # the active one (see State.transform)
        self.lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mlhandler-{cfg.name}")
        self.state = State()
        # `raw`: the training data as it arrived, which config_dir keeps. `cache`: the same rows
        # through the active transform, which training, scoring and ?_cache use. Keeping both
        # means each dataset is transformed once, and a new transform re-reads what was sent.
        self.raw = pd.DataFrame()
        self.cache = pd.DataFrame()
        self.served: Served | None = None
        # Why there is no model, when a pretrained model failed to load: predictions answer 503.
        self.unavailable: str | None = None
        self.last_score: dict[str, Any] | None = None
        self.batcher = PredictionBatcher(self.predict, cfg.batch) if cfg.batch.enabled else None
        # Which config.json this process last read or wrote (see sync).
        self.stamp: tuple[int, int, int] | None = None
        self.revision: str | None = None

    @property
    def opts(self) -> ModelOptions:
        return self.state.opts

    @property
    def model_info(self) -> dict[str, Any] | None:
        return self.state.model

    def configuration(self) -> dict[str, Any]:
        active = self.transform.written if self.transform is not None else None
        return {**self.state.configuration(), "transform": active}

    def pipeline_for(self, state: State) -> Pipeline | None:
        if state.transform is None:
            return self.yaml_transform
        return names_pipeline(state.transform, self.registry.transforms)

    # --- startup -------------------------------------------------------------------------------
    def startup(self) -> None:
        """Reconcile the YAML with what config_dir holds, then load or train the model."""
        try:
            with self.store.lock():  # workers starting together take turns
                start(self)
        except ConfigError:
            raise
        except MLHandlerError as exc:
            raise ConfigError(f"url.{self.name}: {exc.message}") from None
        except Exception as exc:  # noqa: BLE001 - any startup failure is reported, not a traceback
            log.debug("startup of %s failed", self.name, exc_info=True)
            raise ConfigError(f"url.{self.name}: startup failed: {type(exc).__name__}: {exc}") from None

    # --- reading -------------------------------------------------------------------------------
    def require_model(self) -> Served:
        served = self.served
        if served is None:
            if self.unavailable:
                raise ServiceUnavailable(self.unavailable)
            raise NotFound(NO_MODEL)
        return served

    def forecast(self, steps_text: str, query: dict[str, Any]) -> Prediction:
        served = self.require_model()
        forecast = getattr(served.spec.backend, "forecast", None)
        if forecast is None:
            raise BadRequest(
                f"_steps forecasts the periods after the training data; {served.spec.name} does "
                "not forecast. Send rows to predict instead."
            )
        try:
            steps = int(steps_text)
        except (TypeError, ValueError):
            steps = 0
        if steps < 1 or str(steps_text).strip() != str(steps):
            raise BadRequest(f"_steps={steps_text!r} must be a whole number of periods, 1 or more.")
        return _user_errors(
            lambda: forecast(served.model, steps, served.opts, served.schema, query), "Forecast failed"
        )

    def incoming(self, frame: pd.DataFrame, what: str, transform: Any = KEEP) -> pd.DataFrame:
        """Apply the data transform, once, to a dataset that arrived with a request."""
        if frame.empty and len(frame.columns) == 0:
            raise BadRequest(f"The {what} data has no rows; send at least one row.")
        try:
            return apply_transform(self.transform if transform is KEEP else transform, frame)
        except TransformFailed as exc:
            raise BadRequest(
                f"{exc} (on the {what} data). Check that the data has the columns and values "
                "the transform uses.",
            ) from None

    def derive_cache(self, raw: pd.DataFrame, transform: Pipeline | None, what: str = "cached") -> pd.DataFrame:
        """The kept rows through `transform`, once: the cache that training and scoring use."""
        return self.incoming(raw, what, transform) if not raw.empty else raw

    def predict(self, frame: pd.DataFrame, query: dict[str, Any]) -> Prediction:
        served = self.require_model()
        frame = self.incoming(frame, "prediction")
        if frame.empty and self.transform is not None:
            raise BadRequest(
                f"The data transform {self.transform.__name__!r} removed every row of the "
                "prediction data, so there are no rows to predict."
            )
        if served.schema is not None:
            frame = served.schema.cast(frame)
        return _user_errors(
            lambda: served.spec.backend.predict(served.model, frame, served.opts, served.schema, query),
            "Prediction failed",
        )

    def score(self, frame: pd.DataFrame | None, metric: str | None, target_col: str | None) -> dict:
        served = self.require_model()
        if frame is None:
            if self.cache.empty:
                raise BadRequest("There is no data to score: send data in the body or append some.")
            frame = self.cache
        else:
            frame = self.incoming(frame, "score")
        opts = served.opts if not target_col else served.opts.updated({"target_col": target_col})
        if served.schema is not None:
            frame = served.schema.cast(frame)
        result = _user_errors(
            lambda: served.spec.backend.score(served.model, frame, opts, served.schema, metric),
            "Scoring failed",
        )
        self.last_score = result
        return result

    def describe(self) -> dict[str, Any]:
        served = self.served
        attrs = served.spec.backend.fitted_attrs(served.model) if served else {}
        return {**self.configuration(), "attrs": attrs}

    def model_params(self) -> dict[str, Any]:
        served = self.require_model()
        return served.spec.backend.model_params(served.model)

    # --- mutations -----------------------------------------------------------------------------
    async def mutate(self, operation, *args):
        """Run a mutating operation (configure, append, train, delete) on this endpoint's
        single-thread executor, after the ones already queued."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self._locked, operation, args)

    def _locked(self, operation, args):
        # The thread lock guards callers that run operations directly, outside the executor; the
        # store's lock serialises mutations across processes (`--workers N`). Each mutation first
        # catches up with what another process committed, so it builds on the newest state.
        with self.lock, self.store.lock():
            self.sync()
            return operation(*args)

    async def refresh(self) -> None:
        """Sync in this endpoint's executor, after (not during) its own queued mutations."""
        if self.store.config_stamp() == self.stamp:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executor, self._synced)

    def _synced(self) -> None:
        with self.lock:
            self.sync()

    def sync(self) -> None:
        """Catch up with a commit another process made to config_dir: reload what changed."""
        for attempt in range(3):
            stamp = self.store.config_stamp()
            if stamp == self.stamp:
                return
            config = self.store.load_config()
            if config.get("revision") == self.revision:
                self.stamp = stamp
                return
            try:
                self._adopt_config(config)
            except FileNotFoundError:  # pruned by a newer commit while we read: read that one
                if attempt == 2:
                    raise
                continue
            self.stamp, self.revision = stamp, config.get("revision")
            return

    def _adopt_config(self, config: dict[str, Any]) -> None:
        from mlhandler.startup import load_stored

        state = State.from_config(config)
        old = self.state
        raw = self.raw if state.data == old.data else self.store.load_data(state.data)
        pipeline = self.pipeline_for(state)
        if raw is self.raw and state.transform == old.transform:
            cache = self.cache
        else:
            cache = self.derive_cache(raw, pipeline)
        served = self.served
        if state.model != old.model or (state.model is None and (
                state.class_name, state.params) != (old.class_name, old.params)):
            served = load_stored(self, state) if state.model else self.pretrained(state, None)
        log.info("%s: loaded the configuration another process committed", self.name)
        self.state, self.raw, self.cache, self.transform = state, raw, cache, pipeline
        if served is not self.served:
            self.served, self.unavailable, self.last_score = served, None, None

    def configure(self, args: dict[str, Any]) -> dict[str, Any]:
        args = dict(args)
        class_name = args.pop("class", None)
        if isinstance(class_name, list):
            class_name = class_name[-1]
        names = args.pop("transform", None)
        opts = self.opts.updated({k: args.pop(k) for k in list(args) if k in OPTION_NAMES})
        opts.check()
        spec, params = None, dict(self.state.params)
        if class_name:
            spec = self.registry.estimator(class_name)
            if spec.name != self.state.class_name:
                params = {}
        elif self.state.class_name:
            spec = self.registry.estimator(self.state.class_name)
        if args:
            if spec is None:
                raise BadRequest(
                    f"Cannot set {sorted(args)} before a class is chosen: add class=… to the PUT "
                    f"(e.g. ?class=LogisticRegression&{next(iter(args))}=…).",
                )
            params.update(args)
        if spec is not None:
            params = spec.backend.coerce_params(spec, params)
        state = replace(
            self.state, opts=opts, params=params,
            class_name=spec.name if spec is not None else self.state.class_name,
        )
        raw, cache = None, None
        if names is not None:
            names = [names] if isinstance(names, str) else list(names)
            state = replace(state, transform=names)
            raw = self.raw
            cache = self.derive_cache(raw, self.pipeline_for(state))
        served = KEEP
        if spec is not None:
            changed = None if (spec.name != self.state.class_name or self.served is None) else {
                k for k in set(params) | set(self.state.params)
                if params.get(k, KEEP) != self.state.params.get(k, KEEP)
            }
            try:
                loaded = self.pretrained(state, changed)
            except ServiceUnavailable as exc:  # the model this request names cannot load
                raise BadRequest(exc.message, **exc.details) from None
            if loaded is not None:
                state, served = replace(state, model=None), loaded
        self.commit(state, cache=cache, raw=raw, served=served)
        return self.configuration()

    def pretrained(self, state: State, changed: set[str] | None) -> Served | None:
        """The pretrained model `state` names, for backends that have one (see PretrainedBackend)."""
        if not state.class_name:
            return None
        spec = self.registry.estimator(state.class_name)
        load = getattr(spec.backend, "pretrained", None)
        if load is None:
            return None
        trained = load(spec, state.params, state.opts, changed)
        return None if trained is None else Served(trained.model, spec, trained.schema, state.opts)

    def append(self, frame: pd.DataFrame) -> dict[str, Any]:
        prepared = self.incoming(frame, "appended")
        cache = _appended(self.cache, prepared, "cached")
        raw = _appended(self.raw, frame, "cached", strict=self.transform is None)
        self.commit(self.state, cache=cache, raw=raw)
        return {"appended": len(frame), "rows": len(cache)}

    def train(self, frame: pd.DataFrame | None, opts: dict[str, Any], append: bool) -> dict[str, Any]:
        new_opts = self.opts.updated(opts)
        new_opts.check()
        if not self.state.class_name:
            raise BadRequest(
                "No model class is set: PUT ?class=LogisticRegression (or any installed class) "
                "first, or set model.class in the YAML."
            )
        new_cache = new_raw = None
        if frame is not None:
            prepared = self.incoming(frame, "training")
            if append:
                new_cache = _appended(self.cache, prepared, "cached")
                new_raw = _appended(self.raw, frame, "cached", strict=self.transform is None)
            else:
                new_raw, new_cache = frame.reset_index(drop=True), prepared.reset_index(drop=True)
        cache = new_cache if new_cache is not None else self.cache
        if cache.empty:
            raise BadRequest(
                "There is no training data: send rows in the body, append them first, or set "
                "data: in the YAML."
            )
        state, served = self.trained_state(self.state, cache, new_opts)
        self.commit(state, cache=new_cache, raw=new_raw, served=served)
        return state.model["result"]

    def delete(self, targets: list[str], opt_names: list[str]) -> dict[str, Any]:
        state, cache, raw, served = self.state, None, None, KEEP
        for target in targets:
            if target == "model":
                # A backend with a pretrained model goes back to serving it.
                state, served = replace(state, model=None), self.pretrained(state, None)
            elif target == "cache":
                cache = raw = pd.DataFrame()  # no columns either: the next append or train sets them
            elif target == "opts":
                if not opt_names:
                    raise BadRequest("Name the options to reset: ?delete=opts&_opts=include&_opts=….")
                others = [n for n in opt_names if n != "transform"]
                state = replace(state, opts=state.opts.reset(others))
                if "transform" in opt_names and state.transform is not None:
                    state = replace(state, transform=None)  # back to the YAML's data.transform
                    if cache is None:
                        raw = self.raw
                        cache = self.derive_cache(raw, self.pipeline_for(state))
        # Files the user put there (model.path, a model.pkl in config_dir) are never deleted: like
        # the YAML's data and class, they give the endpoint its initial model at the next start.
        self.commit(state, cache=cache, raw=raw, served=served)
        return {"deleted": targets, **self.configuration()}

    # --- internals -----------------------------------------------------------------------------
    def trained_state(self, state: State, cache: pd.DataFrame, opts: ModelOptions) -> tuple[State, Served]:
        """Fit on `cache` and stage the model; the caller commits."""
        spec = self.registry.estimator(state.class_name)
        extra = {}
        if "current" in inspect.signature(spec.backend.train).parameters:
            served = self.served
            extra["current"] = served.model if served and served.spec.name == spec.name else None
        trained: Trained = _user_errors(
            lambda: spec.backend.train(spec, state.params, cache, opts, **extra),
            f"Training {spec.name} failed",
        )
        info = {**self.store.stage_model(trained.model),
                **model_entry(spec, trained.schema, opts, trained.result)}
        return replace(state, opts=opts, model=info), Served(trained.model, spec, trained.schema, opts)

    def commit(self, state: State, cache: pd.DataFrame | None = None, raw: pd.DataFrame | None = None,
               served: Any = KEEP) -> None:
        """Stage the new data, replace config.json (the commit point), then update memory.
        `raw` is what config_dir keeps; `cache` is the same rows through `state`'s transform."""
        if raw is not None and raw is not self.raw:
            state = replace(state, data=self.store.stage_data(raw))
        config = state.to_config()
        pipeline = self.pipeline_for(state)
        revision = uuid.uuid4().hex
        self.store.commit({**config, "revision": revision})
        self.stamp, self.revision = self.store.config_stamp(), revision
        self.state = state
        self.transform = pipeline
        if raw is not None:
            self.raw = raw
        if cache is not None:
            self.cache = cache
        if served is not KEEP:
            self.served = served
            self.unavailable = None
            self.last_score = None  # it described the model just replaced
        self.store.prune(config)  # after the switch: nothing in memory names the old versions


def _appended(cache: pd.DataFrame, frame: pd.DataFrame, what: str, strict: bool = True) -> pd.DataFrame:
    """`frame`'s rows after `cache`'s, cast to the cache's column types. `strict`: the columns
    must match. The raw rows need not: a transform may drop or derive columns, and what must
    match is what it makes of them (checked on the transformed rows)."""
    if cache.empty and len(cache.columns) == 0:
        return frame.reset_index(drop=True)
    missing = [c for c in cache.columns if c not in frame.columns]
    extra = [c for c in frame.columns if c not in cache.columns]
    if strict and (missing or extra):
        raise BadRequest(
            f"The appended data's columns must match the {what} data's. Missing: {missing}; "
            f"unexpected: {extra}. Send exactly these columns: {list(cache.columns)}.",
            missing=missing,
            unexpected=extra,
        )
    if strict:
        frame = frame[list(cache.columns)]
    if not cache.empty:
        frame = frame.copy()
        for name in cache.columns:
            if name in frame.columns:
                column = Column(name, dtype_family(cache[name].dtype, cache[name]), str(cache[name].dtype))
                frame[name] = cast_series(frame[name], column)
    return pd.concat([cache, frame], ignore_index=True)


def _user_errors(call, what: str):
    """Run backend work; a ValueError or TypeError from the ML library is a problem with the
    request's data or the stored configuration, so it is a 400 naming the operation."""
    try:
        return call()
    except MLHandlerError:
        raise
    except (ValueError, TypeError) as exc:
        # ValueError: bad values; TypeError: columns of mixed or unhashable types, params of the
        # wrong type for a class. Both come from what the request or the stored config holds.
        text = str(exc)
        if len(text) > MAX_DETAIL:  # a library message can list every value in a column
            text = text[:MAX_DETAIL] + "…"
        raise BadRequest(f"{what}: {text}") from None

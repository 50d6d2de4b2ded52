"""One MLHandler endpoint: its configuration, training data, current model, and the operations
the HTTP layer calls. Operations are synchronous (they run in a worker thread). Mutating ones go
through `Endpoint.mutate`, which serialises them per endpoint with a thread lock: it is taken in
the worker thread, so it works whichever event loop (or process thread) the request came from.

Predictions read `self.served`, an immutable snapshot that a training replaces in one assignment
after the new model is saved, so a prediction never waits for a training and never sees half of one.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from mlhandler.backend import Prediction, Trained
from mlhandler.config import EndpointConfig
from mlhandler.errors import BadRequest, ConfigError, MLHandlerError, NotFound
from mlhandler.options import ModelOptions
from mlhandler.plugins import Registry
from mlhandler.schema import Schema
from mlhandler.specs import EstimatorSpec
from mlhandler.store import Store
from mlhandler.transform import apply_transform, resolve_transform

log = logging.getLogger("mlhandler")

MISSING = object()
NO_MODEL = (
    "No model is trained yet: POST ?_action=train with data (or configure data: and model.class "
    "in the YAML), after setting the class with PUT ?class=…&target_col=…."
)


@dataclass(frozen=True)
class Served:
    """The model currently answering predictions, with what it was trained with."""

    model: Any
    spec: EstimatorSpec
    schema: Schema | None
    opts: ModelOptions
    info: dict[str, Any] = field(default_factory=dict)


class Endpoint:
    def __init__(self, cfg: EndpointConfig, registry: Registry):
        self.cfg = cfg
        self.name = cfg.name
        self.registry = registry
        self.store = Store(cfg.config_dir, registry.pm)
        where = f"url.{cfg.name}.kwargs.data.transform"
        self.transform = resolve_transform(
            cfg.data.transform if cfg.data else None, registry.transforms, where
        )
        self.lock = threading.Lock()
        self.opts = ModelOptions()
        self.class_name: str | None = None
        self.params: dict[str, Any] = {}
        self.cache = pd.DataFrame()
        self.served: Served | None = None
        self.model_info: dict[str, Any] | None = None
        self.yaml_snapshot: dict[str, Any] = {}
        self.last_score: dict[str, Any] | None = None

    # --- startup -------------------------------------------------------------------------------
    def startup(self) -> None:
        """Reconcile the YAML with what config_dir holds, then load or train the model."""
        try:
            self._startup()
        except ConfigError:
            raise
        except MLHandlerError as exc:
            raise ConfigError(f"url.{self.name}: {exc.message}") from None

    def _startup(self) -> None:
        stored = self.store.load_config()
        now = self._yaml_now()
        prev = stored.get("yaml")
        edited = prev is not None and any(now[k] != prev.get(k) for k in ("class", "params", "opts"))
        prev = prev or {}
        self.opts = _merge_opts(ModelOptions.from_dict(stored.get("opts")), now["opts"], prev.get("opts") or {})
        self.opts.check()
        stored_params = stored.get("params") or {}
        self.class_name = stored_params.get("class")
        self.params = dict(stored_params.get("params") or {})
        if now["class"] is not None and now["class"] != prev.get("class"):
            if now["class"] != self.class_name:
                self.params = {}
            self.class_name = now["class"]
        self.params = _merge_values(self.params, now["params"], prev.get("params") or {})
        if self.class_name:
            spec = self.registry.estimator(self.class_name)
            self.class_name = spec.name
            self.params = spec.backend.coerce_params(spec, self.params)

        data_changed = self.cfg.data is not None and now["data"] != prev.get("data")
        if data_changed:
            self.cache = self._load_yaml_data()
            self.store.save_data(self.cache)
        else:
            self.cache = self.store.load_data()

        self.model_info = stored.get("model")
        path_changed = now["path"] is not None and now["path"] != prev.get("path")
        if now["path"] is not None and (path_changed or self.model_info is None):
            self._adopt_model_file(now["path"])
        elif self.model_info:
            self._load_stored_model()
        elif self.store.legacy_model() is not None:
            self._adopt_model_file(str(self.store.legacy_model()))

        retrain = edited or data_changed
        if self.class_name and not self.cache.empty and now["path"] is None:
            if self.served is None or retrain:
                log.info("%s: training %s at startup on %d rows", self.name, self.class_name, len(self.cache))
                self._train_on_cache()
        self.yaml_snapshot = now
        self._save_config()

    def _yaml_now(self) -> dict[str, Any]:
        model = self.cfg.model
        return {
            "class": model.get("class"),
            "params": self.cfg.model_params,
            "opts": self.cfg.model_opts,
            "data": self.cfg.data.to_dict() if self.cfg.data else None,
            "path": model.get("path"),
        }

    def _load_yaml_data(self) -> pd.DataFrame:
        from mlhandler.data import is_database_url, read_file, read_sql

        source = self.cfg.data
        where = f"url.{self.name}.kwargs.data"
        try:
            if is_database_url(source.url):
                frame = read_sql(source.url, source.table, source.query)
            else:
                frame = read_file(source.url, source.ext, source.sheet_name)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}.") from None
        try:
            return apply_transform(self.transform, frame)
        except Exception as exc:  # noqa: BLE001 - a user transform may raise anything
            raise ConfigError(f"{where}.transform failed on the YAML data: {exc}") from None

    def _adopt_model_file(self, path: str) -> None:
        from pathlib import Path

        from mlhandler.defaults import JOBLIB

        if not Path(path).exists():
            raise ConfigError(f"url.{self.name}.kwargs.model.path: {path} does not exist.")
        try:
            model = self.store.load_model_file(Path(path), JOBLIB)
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - unpickling can fail in many ways
            raise ConfigError(f"url.{self.name}: cannot load the model at {path}: {exc}") from None
        spec = self._identify(model, path)
        self.class_name = self.class_name or spec.name
        info = self.store.save_model(model)
        info.update(self._model_entry(spec, None, self.opts, {}))
        self.model_info = info
        self.served = Served(model, spec, None, self.opts, info)

    def _load_stored_model(self) -> None:
        info = self.model_info
        try:
            model = self.store.load_model(info)
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise ConfigError(
                f"url.{self.name}: cannot load the saved model in {self.store.directory}: {exc}; "
                f"delete it to start afresh."
            ) from None
        schema = Schema.from_dict(info.get("schema"))
        if not self.store.model_matches(info):
            log.warning("%s: the model file is newer than config.json; its schema is unknown", self.name)
            schema = None
        spec = self._spec_for(info.get("class"), model)
        opts = ModelOptions.from_dict(info.get("opts")) if info.get("opts") else self.opts
        self.served = Served(model, spec, schema, opts, info)

    def _spec_for(self, class_name: str | None, model: Any) -> EstimatorSpec:
        if class_name and class_name in self.registry.estimators:
            return self.registry.estimators[class_name]
        return self._identify(model, str(self.store.directory))

    def _identify(self, model: Any, where: str) -> EstimatorSpec:
        for backend in {id(s.backend): s.backend for s in self.registry.estimators.values()}.values():
            found = backend.identify(model)
            if isinstance(found, str):
                found = self.registry.estimators.get(found)
            if found is not None:
                return found
        raise ConfigError(
            f"url.{self.name}: the model at {where} is a {type(model).__name__}, which no "
            f"installed backend serves; installed plugins: {', '.join(self.registry.plugin_names())}."
        )

    # --- reading -------------------------------------------------------------------------------
    def require_model(self) -> Served:
        served = self.served
        if served is None:
            raise NotFound(NO_MODEL)
        return served

    def incoming(self, frame: pd.DataFrame, what: str) -> pd.DataFrame:
        """Apply the data transform, once, to a dataset that arrived with a request."""
        if frame.empty and len(frame.columns) == 0:
            raise BadRequest(f"The {what} data has no rows; send at least one row.")
        try:
            return apply_transform(self.transform, frame)
        except Exception as exc:  # noqa: BLE001 - a user transform may raise anything
            raise BadRequest(
                f"The data transform {getattr(self.transform, '__name__', '')!r} failed on the "
                f"{what} data: {exc}. Check that the data has the columns the transform uses.",
            ) from None

    def predict(self, frame: pd.DataFrame, query: dict[str, Any]) -> Prediction:
        served = self.require_model()
        frame = self.incoming(frame, "prediction")
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

    def configuration(self) -> dict[str, Any]:
        return {
            "opts": self.opts.to_dict(),
            "params": {"class": self.class_name, "params": self.params},
        }

    def model_params(self) -> dict[str, Any]:
        served = self.require_model()
        return served.spec.backend.model_params(served.model)

    # --- mutations ---------------------------------------------------------------------------
    def mutate(self, operation, *args):
        """Run a mutating operation (configure, append, train, delete) under the endpoint lock."""
        with self.lock:
            return operation(*args)

    def configure(self, args: dict[str, Any]) -> dict[str, Any]:
        from mlhandler.options import OPTION_NAMES

        args = dict(args)
        class_name = args.pop("class", None)
        if isinstance(class_name, list):
            class_name = class_name[-1]
        opts = self.opts.updated({k: args.pop(k) for k in list(args) if k in OPTION_NAMES})
        opts.check()
        spec = None
        params = dict(self.params)
        if class_name:
            spec = self.registry.estimator(class_name)
            if spec.name != self.class_name:
                params = {}
        elif self.class_name:
            spec = self.registry.estimator(self.class_name)
        if args:
            if spec is None:
                raise BadRequest(
                    f"Cannot set {sorted(args)} before a class is chosen: add class=… to the PUT "
                    f"(e.g. ?class=LogisticRegression&{next(iter(args))}=…).",
                )
            params.update(args)
        if spec is not None:
            params = spec.backend.coerce_params(spec, params)
        # Everything validated: store it.
        self.opts = opts
        if spec is not None:
            self.class_name = spec.name
        self.params = params
        self._save_config()
        return self.configuration()

    def append(self, frame: pd.DataFrame) -> dict[str, Any]:
        frame = self.incoming(frame, "appended")
        combined = self._appended(frame)
        self.store.save_data(combined)
        self.cache = combined
        return {"appended": len(frame), "rows": len(combined)}

    def train(self, frame: pd.DataFrame | None, opts: dict[str, Any], append: bool) -> dict[str, Any]:
        new_opts = self.opts.updated(opts)
        new_opts.check()
        if not self.class_name:
            raise BadRequest(
                "No model class is set: PUT ?class=LogisticRegression (or any installed class) "
                "first, or set model.class in the YAML."
            )
        if frame is not None:
            frame = self.incoming(frame, "training")
            cache = self._appended(frame) if append else frame.reset_index(drop=True)
        else:
            cache = self.cache
        if cache.empty:
            raise BadRequest(
                "There is no training data: send rows in the body, append them first, or set "
                "data: in the YAML."
            )
        trained = self._fit(cache, new_opts)
        if frame is not None:
            self.store.save_data(cache)
            self.cache = cache
        self.opts = new_opts
        self._commit(trained)
        return trained.result

    def delete(self, targets: list[str], opt_names: list[str]) -> dict[str, Any]:
        for target in targets:
            if target == "model":
                self.served = None
                self.store.delete_model(self.model_info)
                self.model_info = None
            elif target == "cache":
                self.cache = self.cache.iloc[0:0] if len(self.cache.columns) else pd.DataFrame()
                self.store.save_data(self.cache)
            elif target == "opts":
                if not opt_names:
                    raise BadRequest("Name the options to reset: ?delete=opts&_opts=include&_opts=….")
                self.opts = self.opts.reset(opt_names)
        self._save_config()
        return {"deleted": targets, **self.configuration()}

    # --- internals -----------------------------------------------------------------------------
    def _train_on_cache(self) -> None:
        self._commit(self._fit(self.cache, self.opts))

    def _fit(self, data: pd.DataFrame, opts: ModelOptions) -> Trained:
        spec = self.registry.estimator(self.class_name)
        return _user_errors(
            lambda: spec.backend.train(spec, self.params, data, opts), f"Training {spec.name} failed"
        )

    def _commit(self, trained: Trained) -> None:
        spec = self.registry.estimator(self.class_name)
        info = self.store.save_model(trained.model)
        info.update(self._model_entry(spec, trained.schema, self.opts, trained.result))
        self.model_info = info
        self._save_config()
        self.served = Served(trained.model, spec, trained.schema, self.opts, info)

    def _model_entry(self, spec, schema, opts, result) -> dict[str, Any]:
        return {
            "class": spec.name,
            "kind": spec.kind,
            "schema": schema.to_dict() if schema else None,
            "opts": opts.to_dict(),
            "result": result,
            "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }

    def _appended(self, frame: pd.DataFrame) -> pd.DataFrame:
        cache = self.cache
        if cache.empty and len(cache.columns) == 0:
            return frame.reset_index(drop=True)
        missing = [c for c in cache.columns if c not in frame.columns]
        extra = [c for c in frame.columns if c not in cache.columns]
        if missing or extra:
            raise BadRequest(
                f"The appended data's columns must match the cached data's. Missing: {missing}; "
                f"unexpected: {extra}. Send exactly these columns: {list(cache.columns)}.",
                missing=missing,
                unexpected=extra,
            )
        frame = frame[list(cache.columns)]
        if not cache.empty:
            from mlhandler.schema import Column, cast_series, dtype_family

            frame = frame.copy()
            for name in cache.columns:
                column = Column(name, dtype_family(cache[name].dtype), str(cache[name].dtype))
                frame[name] = cast_series(frame[name], column)
        return pd.concat([cache, frame], ignore_index=True)

    def _save_config(self) -> None:
        self.store.save_config(
            {
                **self.configuration(),
                "model": self.model_info,
                "yaml": self.yaml_snapshot or self._yaml_now(),
            }
        )


def _merge_opts(current: ModelOptions, yaml_now: dict, yaml_prev: dict) -> ModelOptions:
    changed = {k: v for k, v in yaml_now.items() if yaml_prev.get(k, MISSING) != v}
    removed = [k for k in yaml_prev if k not in yaml_now]
    try:
        return current.updated(changed).reset(removed)
    except BadRequest as exc:
        raise ConfigError(f"model options: {exc.message}") from None


def _merge_values(current: dict, yaml_now: dict, yaml_prev: dict) -> dict:
    """YAML values that changed since the last start win; others keep what HTTP set."""
    merged = dict(current)
    for key, value in yaml_now.items():
        if yaml_prev.get(key, MISSING) != value:
            merged[key] = value
    for key in yaml_prev:
        if key not in yaml_now:
            merged.pop(key, None)
    return merged


def _user_errors(call, what: str):
    """Run backend work; a ValueError from the ML library is a problem with the request's data."""
    try:
        return call()
    except MLHandlerError:
        raise
    except ValueError as exc:
        raise BadRequest(f"{what}: {exc}") from None

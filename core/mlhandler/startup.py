"""An endpoint's startup: merge the YAML with what config_dir remembers, read the YAML's data,
and load, adopt or train the model it starts with.

The rule (api.md §2.6): a setting changed over HTTP is kept unless the YAML's own value for it
changed since the last start — then the YAML wins, because the author edited it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pandas as pd

from mlhandler.config import EndpointConfig
from mlhandler.errors import BadRequest, ConfigError, MLHandlerError, ServiceUnavailable
from mlhandler.options import OPTION_NAMES, ModelOptions
from mlhandler.schema import Schema
from mlhandler.specs import EstimatorSpec
from mlhandler.state import Served, State, model_entry
from mlhandler.store import encode_config

if TYPE_CHECKING:
    from mlhandler.endpoint import Endpoint

log = logging.getLogger("mlhandler")
MISSING = object()


def start(ep: Endpoint) -> None:
    """Reconcile the YAML with what config_dir holds, then load, adopt or train the model."""
    stored_config = ep.store.load_config()
    stored = State.from_config(stored_config)
    values, written = yaml_settings(ep.cfg)
    prev = stored.yaml
    edited = bool(prev) and any(not same(written[k], prev.get(k)) for k in ("class", "params", "opts"))
    state = merge_settings(stored, values, written, prev)
    state.opts.check()
    if state.class_name:
        spec = ep.registry.estimator(state.class_name)
        state = replace(state, class_name=spec.name,
                        params=spec.backend.coerce_params(spec, state.params))

    data_changed = ep.cfg.data is not None and not same(written["data"], prev.get("data"))
    if data_changed and state.transform is not None:
        # The author edited the YAML's data (its transform included): it replaces the
        # transform chosen over HTTP, as it replaces the cached rows.
        state = replace(state, transform=None)
    new_raw = read_yaml_data(ep.cfg) if data_changed else None
    raw = new_raw if new_raw is not None else ep.store.load_data(state.data)
    # A transform failing here is a startup error (Endpoint.startup reports it as one).
    cache = ep.derive_cache(raw, ep.pipeline_for(state), "YAML" if data_changed else "cached")

    served, adopted = None, False
    path = values["path"]
    path_changed = path is not None and not (
        same(written["path"], prev.get("path")) and same(written["path_stamp"], prev.get("path_stamp"))
    )
    hand_placed = ep.store.hand_placed_model()
    if path is not None and (path_changed or state.model is None):
        (state, served), adopted = adopt(ep, state, Path(path)), True
    elif state.model:
        served = load_stored(ep, state)
    elif hand_placed is not None:
        (state, served), adopted = adopt(ep, state, hand_placed), True

    # Startup training is the YAML's: it needs the YAML's own data and class, and no model
    # trained elsewhere (model.path or a model file in config_dir) to serve instead.
    unavailable = None
    yaml_trains = ep.cfg.data is not None and values["class"] is not None and path is None
    if yaml_trains and not adopted and not cache.empty:
        if served is None or edited or data_changed:
            log.info("%s: training %s at startup on %d rows", ep.name, state.class_name, len(cache))
            try:
                state, served = ep.trained_state(state, cache, state.opts)
            except ServiceUnavailable as exc:
                # The model to fine-tune cannot load: as below, the server starts and this
                # endpoint answers 503 saying why until a PUT names a model that loads.
                log.warning("%s: no model at startup: %s", ep.name, exc.message)
                unavailable = exc.message
            except BadRequest as exc:
                if not _changed_over_http(state, values):
                    raise  # the YAML's own settings cannot train: a startup error (api.md §1)
                # Settings changed over HTTP must not keep the server from starting.
                log.warning("%s: no model at startup: training with the settings changed over "
                            "HTTP failed: %s", ep.name, exc.message)
                served = None
    if served is None and state.class_name and unavailable is None:
        try:
            served = ep.pretrained(state, None)
        except MLHandlerError as exc:
            # Not a startup error: the rest of the server works, and this endpoint answers 503
            # saying why until a PUT names a model that loads.
            log.warning("%s: %s", ep.name, exc.message)
            unavailable = exc.message
    if new_raw is None:
        ep.raw = raw  # already in config_dir: commit stages only new data
    unchanged = {k: v for k, v in stored_config.items() if k != "revision"}
    if new_raw is None and as_stored(state.to_config()) == unchanged:
        # Nothing to write (a restart, or another worker starting on the same config_dir):
        # rewriting config.json would make every other process reload for nothing.
        ep.state, ep.cache, ep.served = state, cache, served
        ep.transform = ep.pipeline_for(state)
        ep.stamp, ep.revision = ep.store.config_stamp(), stored_config.get("revision")
    else:
        ep.commit(state, cache=cache, raw=new_raw, served=served)
    ep.unavailable = unavailable


def _changed_over_http(state: State, values: dict[str, Any]) -> bool:
    yaml_opts = ModelOptions().updated(values["opts"])
    return (state.class_name != values["class"] or state.opts != yaml_opts
            or as_stored(state.params) != as_stored(values["params"]))


def adopt(ep: Endpoint, state: State, path: Path) -> tuple[State, Served]:
    """Serve a model trained elsewhere: the YAML's model.path, or a model file left in config_dir."""
    from mlhandler.defaults import JOBLIB

    if not path.exists():
        raise ConfigError(f"url.{ep.name}.kwargs.model.path: {path} does not exist.")
    try:
        model = ep.store.load_model_file(path, JOBLIB)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - unpickling can fail in many ways
        raise ConfigError(f"url.{ep.name}: cannot load the model at {path}: {exc}") from None
    spec = identify(ep, model, str(path))
    info = {**ep.store.stage_model(model), **model_entry(spec, None, state.opts, {})}
    state = replace(state, class_name=state.class_name or spec.name, model=info)
    return state, Served(model, spec, None, state.opts)


def load_stored(ep: Endpoint, state: State) -> Served:
    info = state.model
    try:
        model = ep.store.load_model(info)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ConfigError(
            f"url.{ep.name}: cannot load the saved model {ep.store.model_path(info)}: "
            f"{exc}; delete config.json to start afresh."
        ) from None
    spec = ep.registry.estimators.get(info.get("class") or "") or identify(
        ep, model, str(ep.store.model_path(info))
    )
    opts = ModelOptions.from_dict(info["opts"]) if info.get("opts") else state.opts
    return Served(model, spec, Schema.from_dict(info.get("schema")), opts)


def identify(ep: Endpoint, model: Any, where: str) -> EstimatorSpec:
    for backend in {id(s.backend): s.backend for s in ep.registry.estimators.values()}.values():
        found = backend.identify(model)
        if isinstance(found, str):
            found = ep.registry.estimators.get(found)
        if found is not None:
            return found
    raise ConfigError(
        f"url.{ep.name}: the model at {where} is a {type(model).__name__}, which no "
        f"installed backend serves; installed plugins: {', '.join(ep.registry.plugin_names())}."
    )


def yaml_settings(cfg: EndpointConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """The YAML's settings: `values` to apply (variables substituted), and `written`, as the
    author wrote them, which config.json remembers to tell the author's edits from a moved
    folder or a changed environment variable."""
    values = {
        "class": cfg.model.get("class"),
        "params": cfg.model_params,
        "opts": cfg.model_opts,
        "path": cfg.model.get("path"),
    }
    model = cfg.written.get("model") or {}
    written = {
        "class": model.get("class"),
        "params": dict(model.get("params") or {}),
        "opts": {k: v for k, v in model.items() if k in OPTION_NAMES},
        "data": cfg.written.get("data"),
        "path": model.get("path"),
        # Replacing the file at model.path (same path, new model) is an edit too.
        "path_stamp": _stamp(values["path"]),
    }
    return values, written


def _stamp(path: str | None) -> str | None:
    if not path or not Path(path).is_file():
        return None
    info = Path(path).stat()
    return f"{info.st_size}:{info.st_mtime_ns}"


def as_stored(value: Any) -> Any:
    """`value` as it reads back from config.json ({0: 1} becomes {"0": 1}, inf becomes "inf"),
    so that a YAML value compares equal to its own snapshot."""
    return orjson.loads(encode_config(value))


def same(yaml_value: Any, snapshot_value: Any) -> bool:
    return as_stored(yaml_value) == snapshot_value


def merge_settings(stored: State, values: dict[str, Any], written: dict[str, Any],
                   prev: dict[str, Any]) -> State:
    """Options, class and params: the stored ones, except where the YAML as written changed
    since `prev` (its last start), whose `values` then win."""
    try:
        opts = _merge_opts(stored.opts, values["opts"], written["opts"], prev.get("opts") or {})
    except BadRequest as exc:
        raise ConfigError(f"model options: {exc.message}") from None
    class_name, params = stored.class_name, dict(stored.params)
    yaml_class = values["class"]
    class_edited = yaml_class is not None and not same(written["class"], prev.get("class"))
    params_edited = not same(written["params"], prev.get("params") or {})
    if class_edited or (params_edited and yaml_class is not None and yaml_class != class_name):
        # The author edited the model section: its class comes with its own params (params
        # set over HTTP belonged to another class, or to this one before the edit).
        class_name, params = yaml_class, dict(values["params"])
    else:
        params = _merge_values(params, values["params"], written["params"], prev.get("params") or {})
    return State(opts=opts, class_name=class_name, params=params, data=stored.data,
                 model=stored.model, yaml=written, transform=stored.transform)


def read_yaml_data(cfg: EndpointConfig) -> pd.DataFrame:
    from mlhandler.data import is_database_url, read_file, read_sql

    source = cfg.data
    where = f"url.{cfg.name}.kwargs.data"
    try:
        if is_database_url(source.url):
            frame = read_sql(source.url, source.table, source.query)
        else:
            frame = read_file(source.url, source.ext, source.sheet_name)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}.") from None
    return frame


def _merge_opts(current: ModelOptions, values: dict, written: dict, prev: dict) -> ModelOptions:
    changed = {k: values[k] for k in written if not same(written[k], prev.get(k, MISSING))}
    removed = [k for k in prev if k not in written]
    merged = current.updated(changed).reset(removed)
    # A column the author just listed in cats (nums) leaves the nums (cats) set over HTTP.
    for edited, other in (("cats", "nums"), ("nums", "cats")):
        if edited in changed and other not in changed:
            keep = [c for c in getattr(merged, other) if c not in getattr(merged, edited)]
            merged = merged.updated({other: keep})
    return merged


def _merge_values(current: dict, values: dict, written: dict, prev: dict) -> dict:
    merged = dict(current)
    for key in written:
        # Edited since the last start: the YAML wins. Unchanged and still what is stored: take
        # the YAML's own value, whose types ({0: 1} rather than {"0": 1}) JSON did not keep.
        if not same(written[key], prev.get(key, MISSING)) or same(values[key], merged.get(key, MISSING)):
            merged[key] = values[key]
    for key in prev:
        if key not in written:
            merged.pop(key, None)
    return merged

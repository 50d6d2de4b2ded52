"""Startup helpers: merge the YAML with what config_dir remembers, and read the YAML's data.

The rule (api.md §2.6): a setting changed over HTTP is kept unless the YAML's own value for it
changed since the last start — then the YAML wins, because the author edited it.
"""

from __future__ import annotations

from typing import Any

import orjson
import pandas as pd

from mlhandler.config import EndpointConfig
from mlhandler.errors import BadRequest, ConfigError
from mlhandler.jsonsafe import json_safe
from mlhandler.options import ModelOptions
from mlhandler.state import State
from mlhandler.transform import Transform, apply_transform

MISSING = object()


def yaml_settings(cfg: EndpointConfig) -> dict[str, Any]:
    """The YAML's own settings, remembered in config.json to detect the author's edits."""
    return {
        "class": cfg.model.get("class"),
        "params": cfg.model_params,
        "opts": cfg.model_opts,
        "data": cfg.data.to_dict() if cfg.data else None,
        "path": cfg.model.get("path"),
    }


def as_stored(value: Any) -> Any:
    """`value` as it reads back from config.json (JSON turns {0: 1} into {"0": 1}), so that a
    YAML value compares equal to its own snapshot."""
    return orjson.loads(orjson.dumps(value, default=json_safe, option=orjson.OPT_NON_STR_KEYS))


def same(yaml_value: Any, snapshot_value: Any) -> bool:
    return as_stored(yaml_value) == snapshot_value


def merge_settings(stored: State, now: dict[str, Any], prev: dict[str, Any]) -> State:
    """Options, class and params: the stored ones, except where the YAML changed since `prev`."""
    try:
        opts = _merge_opts(stored.opts, now["opts"], prev.get("opts") or {})
    except BadRequest as exc:
        raise ConfigError(f"model options: {exc.message}") from None
    class_name, params = stored.class_name, dict(stored.params)
    yaml_class = now["class"]
    class_edited = yaml_class is not None and yaml_class != prev.get("class")
    params_edited = not same(now["params"], prev.get("params") or {})
    if class_edited or (params_edited and yaml_class is not None and yaml_class != class_name):
        # The author edited the model section: its class comes with its own params (params
        # set over HTTP belonged to another class, or to this one before the edit).
        class_name, params = yaml_class, dict(now["params"])
    else:
        params = _merge_values(params, now["params"], prev.get("params") or {})
    return State(opts=opts, class_name=class_name, params=params, data=stored.data,
                 model=stored.model, yaml=now)


def read_yaml_data(cfg: EndpointConfig, transform: Transform | None) -> pd.DataFrame:
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
    try:
        return apply_transform(transform, frame)
    except Exception as exc:  # noqa: BLE001 - a user transform may raise anything
        raise ConfigError(f"{where}.transform failed on the YAML data: {exc}") from None


def _merge_opts(current: ModelOptions, yaml_now: dict, yaml_prev: dict) -> ModelOptions:
    changed = {k: v for k, v in yaml_now.items() if not same(v, yaml_prev.get(k, MISSING))}
    removed = [k for k in yaml_prev if k not in yaml_now]
    return current.updated(changed).reset(removed)


def _merge_values(current: dict, yaml_now: dict, yaml_prev: dict) -> dict:
    merged = dict(current)
    for key, value in yaml_now.items():
        # Changed since the last start: the YAML wins. Unchanged and still what is stored: take
        # the YAML's own value, whose types ({0: 1} rather than {"0": 1}) JSON did not keep.
        if not same(value, yaml_prev.get(key, MISSING)) or same(value, merged.get(key, MISSING)):
            merged[key] = value
    for key in yaml_prev:
        if key not in yaml_now:
            merged.pop(key, None)
    return merged

"""Startup helpers: merge the YAML with what config_dir remembers, and read the YAML's data.

The rule (api.md §2.6): a setting changed over HTTP is kept unless the YAML's own value for it
changed since the last start — then the YAML wins, because the author edited it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from mlhandler.config import EndpointConfig
from mlhandler.errors import BadRequest, ConfigError
from mlhandler.jsonsafe import json_safe
from mlhandler.options import OPTION_NAMES, ModelOptions
from mlhandler.state import State
from mlhandler.transform import Transform, apply_transform

MISSING = object()


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
    """`value` as it reads back from config.json (JSON turns {0: 1} into {"0": 1}), so that a
    YAML value compares equal to its own snapshot."""
    return orjson.loads(orjson.dumps(value, default=json_safe, option=orjson.OPT_NON_STR_KEYS))


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
                 model=stored.model, yaml=written)


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

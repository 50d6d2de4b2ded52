"""`data.transform`: a dotted function name, a registered transform name, or an expression over
`data`. Resolved once at startup; only the YAML names code to run, never a request."""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from mlhandler.errors import ConfigError

DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")

Transform = Callable[[pd.DataFrame], pd.DataFrame]


def resolve_transform(spec: Any, registry_transforms: dict[str, Any], where: str) -> Transform | None:
    if spec is None or spec == "":
        return None
    if not isinstance(spec, str):
        raise ConfigError(f"{where}: transform must be a function name or an expression over `data`.")
    text = spec.strip()
    if text in registry_transforms:
        function = registry_transforms[text].function
        return _named(text, lambda data: function(data))
    if DOTTED.match(text):
        function = _import(text, where)
        if function is not None:
            return _named(text, _call_function(function))
    try:
        code = compile(text, f"<{where}>", "eval")
    except SyntaxError as exc:
        raise ConfigError(
            f"{where}: {text!r} is neither an importable function nor a valid expression over "
            f"`data`: {exc.msg}."
        ) from None
    namespace = {"np": np, "pd": pd}

    def evaluate(data: pd.DataFrame) -> pd.DataFrame:
        return eval(code, dict(namespace), {"data": data})  # noqa: S307 - YAML-authored code only

    return _named(text, evaluate)


def apply_transform(transform: Transform | None, data: pd.DataFrame) -> pd.DataFrame:
    if transform is None:
        return data
    result = transform(data)
    if result is None:  # a function that changed `data` in place
        return data
    if not isinstance(result, pd.DataFrame):
        raise ValueError(
            f"transform {transform.__name__!r} returned {type(result).__name__}, not a DataFrame"
        )
    return result


def _call_function(function: Callable) -> Transform:
    try:
        params = inspect.signature(function).parameters
    except (TypeError, ValueError):
        params = {}
    wants_handler = "handler" in params

    def call(data: pd.DataFrame) -> pd.DataFrame:
        # Gramex passes `handler` to transforms that ask for it; there is no handler object here.
        return function(data, handler=None) if wants_handler else function(data)

    return call


def _import(dotted: str, where: str) -> Callable | None:
    module_name, _, attr = dotted.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None  # not a module path: treat as an expression such as `data.dropna`
        raise ConfigError(f"{where}: importing {module_name!r} failed: {exc}.") from None
    except Exception as exc:  # noqa: BLE001 - a user module that fails to import
        raise ConfigError(f"{where}: importing {module_name!r} failed: {exc}.") from None
    function = getattr(module, attr, None)
    if not callable(function):
        raise ConfigError(f"{where}: {module_name!r} has no function {attr!r}.")
    return function


def _named(name: str, function: Transform) -> Transform:
    function.__name__ = name
    return function

"""`data.transform`: a small pipeline language, resolved once when the YAML is read.

A transform is one step or a list of steps. A step is
  - a registered transform name (`fillna`), called as `function(data)`;
  - `{name: {options}}`, called as `function(data, **options)`, or `{name: value}` with a list or
    a scalar, called as `function(data, value)`;
  - a dotted function name (`mymodule.clean`), called as `fn(data)` (Gramex's `fn(df, …)` and
    `fn(data, handler)` signatures keep working), also with options as above;
  - an expression over `data` (`data.assign(x=np.log1p(data.Fare))`).
Only the YAML names code to run. A request may choose among registered names only
(`names_pipeline`), so no request makes the server import or evaluate anything it chose.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlhandler.errors import BadRequest, ConfigError

DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
NO_OPTIONS = object()


@dataclass(frozen=True)
class Step:
    label: str  # how errors name the step: its transform name, dotted path or expression
    call: Callable[[pd.DataFrame], Any]


@dataclass(frozen=True)
class Pipeline:
    steps: tuple[Step, ...]
    written: Any  # as the YAML or the request gave it, for ?_params

    @property
    def __name__(self) -> str:  # noqa: PLW3201 - errors and logs name the transform by this
        return " → ".join(step.label for step in self.steps)


class TransformFailed(Exception):
    """A step raised or returned something other than a DataFrame."""

    def __init__(self, position: int, total: int, label: str, reason: str):
        where = f"step {position} of {total} ({label})" if total > 1 else repr(label)
        super().__init__(f"data.transform {where} failed: {reason}")


def resolve_transform(spec: Any, registry_transforms: dict[str, Any], where: str) -> Pipeline | None:
    """The YAML's `data.transform` as a Pipeline; None when there is none. ConfigError if a step
    names nothing callable or its options do not fit the function."""
    if spec is None or spec == "" or spec == []:
        return None
    items = spec if isinstance(spec, list) else [spec]
    steps = tuple(
        _step(item, registry_transforms, f"{where}[{i}]" if isinstance(spec, list) else where)
        for i, item in enumerate(items)
    )
    return Pipeline(steps, spec)


def names_pipeline(names: list[str], registry_transforms: dict[str, Any]) -> Pipeline:
    """A pipeline of registered transform names, as a request may choose (PUT ?transform=…)."""
    unknown = [n for n in names if n not in registry_transforms]
    if unknown or not names:
        raise BadRequest(
            f"transform= takes registered transform names only; {unknown or 'nothing'} is not one. "
            f"Registered: {sorted(registry_transforms)}. Dotted functions and expressions can be "
            "set only in the YAML's data.transform; DELETE ?delete=opts&_opts=transform restores it.",
            registered=sorted(registry_transforms),
        )
    steps = []
    for name in names:
        try:
            steps.append(_registered(name, registry_transforms[name].function, NO_OPTIONS, name))
        except ConfigError:
            raise BadRequest(
                f"transform={name} needs options, which only the YAML's data.transform can set "
                f"(e.g. `- {{{name}: …}}`); a request may choose transforms that take none."
            ) from None
    return Pipeline(tuple(steps), list(names))


def apply_transform(transform: Pipeline | None, data: pd.DataFrame) -> pd.DataFrame:
    """Run every step once, in order. Raises TransformFailed naming the step that failed."""
    if transform is None:
        return data
    total = len(transform.steps)
    for position, step in enumerate(transform.steps, 1):
        try:
            result = step.call(data)
        except Exception as exc:  # noqa: BLE001 - a user's transform may raise anything
            # A ValueError is a transform's way of saying what is wrong with the data; other
            # exceptions (KeyError, TypeError, …) are named, as their text alone can be cryptic.
            reason = str(exc) if type(exc) is ValueError else f"{type(exc).__name__}: {exc}"
            raise TransformFailed(position, total, step.label, reason) from None
        if result is None:  # a function that changed `data` in place
            result = data
        if not isinstance(result, pd.DataFrame):
            raise TransformFailed(position, total, step.label,
                                  f"it returned {type(result).__name__}, not a DataFrame")
        data = result
    return data


# --- resolving one step ----------------------------------------------------------------------------
def _step(item: Any, registry: dict[str, Any], where: str) -> Step:
    if isinstance(item, dict):
        if len(item) != 1:
            raise ConfigError(
                f"{where}: a step with options is one key, `{{name: options}}` (e.g. "
                f"`{{fillna: {{Age: 28}}}}`); got keys {sorted(map(str, item))}."
            )
        name, options = next(iter(item.items()))
        return _named_step(str(name).strip(), options, registry, where)
    if not isinstance(item, str):
        raise ConfigError(
            f"{where}: a transform step is a name, a dotted function, an expression over `data`, "
            f"or {{name: options}}; got {item!r}."
        )
    text = item.strip()
    if text in registry or DOTTED.match(text):
        step = _named_step(text, NO_OPTIONS, registry, where, expression_ok=True)
        if step is not None:
            return step
    return _expression(text, where)


def _named_step(name: str, options: Any, registry: dict[str, Any], where: str,
                expression_ok: bool = False) -> Step | None:
    if name in registry:
        return _registered(name, registry[name].function, options, where)
    function = _import(name, where) if DOTTED.match(name) else None
    if function is None:
        if expression_ok:
            return None  # not a module path: an expression such as `data.dropna()`
        raise ConfigError(
            f"{where}: {name!r} is neither a registered transform ({sorted(registry) or 'none installed'}) "
            "nor an importable dotted function."
        )
    if options is NO_OPTIONS:
        return Step(name, _gramex_call(function))
    return _registered(name, function, options, where)


def _registered(name: str, function: Callable, options: Any, where: str) -> Step:
    if options is NO_OPTIONS or options is None:
        args, kwargs = (), {}
    elif isinstance(options, dict):
        args, kwargs = (), {str(k): v for k, v in options.items()}
    else:
        args, kwargs = (options,), {}
    try:
        inspect.signature(function).bind(None, *args, **kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where}: the options of {name!r} do not fit it: {exc}.") from None
    except ValueError:
        pass  # a builtin without a signature: it is checked when it runs
    return Step(name, lambda data: function(data, *args, **kwargs))


def _gramex_call(function: Callable) -> Callable[[pd.DataFrame], Any]:
    try:
        params = inspect.signature(function).parameters
    except (TypeError, ValueError):
        params = {}
    if "handler" in params:
        # Gramex passes `handler` to transforms that ask for it; there is no handler object here.
        return lambda data: function(data, handler=None)
    return function


def _expression(text: str, where: str) -> Step:
    try:
        code = compile(text, f"<{where}>", "eval")
    except SyntaxError as exc:
        raise ConfigError(
            f"{where}: {text!r} is neither a registered transform, an importable function, nor a "
            f"valid expression over `data`: {exc.msg}."
        ) from None
    namespace = {"np": np, "pd": pd}

    def evaluate(data: pd.DataFrame) -> Any:
        return eval(code, dict(namespace), {"data": data})  # noqa: S307 - YAML-authored code only

    return Step(text, evaluate)


def _import(dotted: str, where: str) -> Callable | None:
    module_name, _, attr = dotted.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None  # not a module path
        raise ConfigError(f"{where}: importing {module_name!r} failed: {exc}.") from None
    except Exception as exc:  # noqa: BLE001 - a user module that fails to import
        raise ConfigError(f"{where}: importing {module_name!r} failed: {exc}.") from None
    function = getattr(module, attr, None)
    if not callable(function):
        raise ConfigError(f"{where}: {module_name!r} has no function {attr!r}.")
    return function

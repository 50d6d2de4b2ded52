"""SARIMAX parameters: the ones mlhandler accepts, their defaults, and the casting of values that
arrive as text (PUT), typed (YAML) or as stored in config.json (lists where tuples were).

`order=1,0,0`, `order=[1,0,0]`, `order=(1,0,0)`, repeated `order=1&order=0&order=0` and the YAML
list `[1, 0, 0]` all become the tuple `(1, 0, 0)` that statsmodels wants.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import orjson

from mlhandler.errors import BadRequest
from mlhandler.options import NONE_WORDS, parse_bool
from mlhandler_sarimax.frequency import parse_freq

# statsmodels' SARIMAX constructor arguments that mlhandler passes through, with its defaults.
# Left out on purpose, with the reason the error message gives (UNSUPPORTED).
CONSTRUCTOR = {
    "order": (1, 0, 0),
    "seasonal_order": (0, 0, 0, 0),
    "trend": None,
    "measurement_error": False,
    "enforce_stationarity": True,
    "enforce_invertibility": True,
    "hamilton_representation": False,
    "concentrate_scale": False,
    "trend_offset": 1,
    "use_exact_diffuse": False,
}
# mlhandler's own: the frequency of the timestamps (None: inferred from the training data).
INDEX = {"freq": None}
# Arguments of SARIMAX.fit.
FIT = {"method": "lbfgs", "maxiter": 50}
FIT_METHODS = ("newton", "nm", "bfgs", "lbfgs", "powell", "cg", "ncg", "basinhopping")
DEFAULTS = {**CONSTRUCTOR, **INDEX, **FIT}
UNSUPPORTED = {
    # It fits the differenced series: predictions would be differences, not values of
    # target_col, and the first periods would have none.
    "simple_differencing": "set d in order=(p, d, q) instead",
    # Both move the regression coefficients into the state. mlhandler relies on regressors
    # entering as a plain regression term: a prediction for a period then depends on that
    # period's regressor values only (see prediction.py).
    "mle_regression": "exogenous regressors are always a regression term estimated by MLE",
    "time_varying_regression": "exogenous regressors are always a regression term estimated by MLE",
}
BOOLEANS = {k for k, v in CONSTRUCTOR.items() if isinstance(v, bool)}
TRENDS = ("n", "c", "t", "ct")
WHOLE = re.compile(r"^[+-]?\d+$")
# The state vector's size bounds the cost of fitting (its square) and of building the model.
MAX_STATES = 1000


def coerce_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate and cast the params a user gave (only those: defaults are not stored)."""
    unknown = sorted(k for k in raw if k not in DEFAULTS)
    if unknown:
        hint = "".join(f" {k} is not supported: {UNSUPPORTED[k]}." for k in unknown if k in UNSUPPORTED)
        raise BadRequest(
            f"SARIMAX has no parameter {', '.join(map(repr, unknown))}; its parameters are "
            f"{sorted(DEFAULTS)}.{hint}",
            unknown=unknown,
            allowed=sorted(DEFAULTS),
        )
    params = {key: _coerce(key, value) for key, value in raw.items()}
    check_model(constructor_args(params))
    return params


def constructor_args(params: dict[str, Any]) -> dict[str, Any]:
    return {k: params.get(k, v) for k, v in CONSTRUCTOR.items()}


def fit_args(params: dict[str, Any]) -> dict[str, Any]:
    return {k: params.get(k, v) for k, v in FIT.items()}


def all_params(params: dict[str, Any]) -> dict[str, Any]:
    """Every parameter, defaults included: what `GET ?_model` shows."""
    return {k: params.get(k, v) for k, v in DEFAULTS.items()}


def _coerce(key: str, value: Any) -> Any:
    if key == "order":
        return _whole_tuple(key, value, 3, "(p, d, q), e.g. order=1,0,0", lags=True)
    if key == "seasonal_order":
        return _whole_tuple(key, value, 4, "(P, D, Q, s), e.g. seasonal_order=1,0,0,12", lags=True)
    if key in BOOLEANS:
        return parse_bool(_last(value), key)
    if key == "trend":
        return _trend(value)
    if key in ("trend_offset", "maxiter"):
        least = 1 if key == "maxiter" else 0
        number = _whole(_last(value))
        if number is None or number < least:
            raise BadRequest(f"{key}={value!r} must be a whole number, {least} or more.", param=key)
        return number
    if key == "method":
        text = str(_last(value)).strip().lower()
        if text not in FIT_METHODS:
            raise BadRequest(f"method={value!r} is not a fit method; use one of {list(FIT_METHODS)}.",
                             param=key)
        return text
    # freq
    value = _last(value)
    if value is None or str(value).strip().lower() in NONE_WORDS:
        return None
    return parse_freq(value)


def _last(value: Any) -> Any:
    """A scalar parameter given twice (?maxiter=5&maxiter=9) takes the last value."""
    return value[-1] if isinstance(value, list) and value else value


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and WHOLE.match(value.strip()):
        return int(value.strip())
    return None


def _items(value: Any) -> list[Any] | None:
    """A list from a YAML/JSON list, a tuple, repeated query keys, or text: `1,0,0`, `[1,0,0]`,
    `(1,0,0)`. Text items inside brackets may themselves be JSON lists (lag lists)."""
    if isinstance(value, list | tuple):
        if len(value) == 1 and isinstance(value[0], str):
            return _items(value[0])
        return list(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("(") and text.endswith(")"):
        text = f"[{text[1:-1]}]"
    if not text.startswith("["):
        text = f"[{text}]"
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, list) else None


def _whole_tuple(key: str, value: Any, size: int, shape: str, lags: bool) -> tuple:
    items = _items(value)
    problem = f"{key}={value!r} must be {size} whole numbers {shape}."
    if items is None or len(items) != size:
        raise BadRequest(problem, param=key)
    out = []
    for position, item in enumerate(items):
        # p and q (and P, Q) may also be lists of 0/1 saying which lags to include.
        if lags and isinstance(item, list) and position in (0, 2):
            flags = [_whole(flag) for flag in item]
            if not flags or any(f not in (0, 1) for f in flags):
                raise BadRequest(f"{problem} A lag list holds only 0s and 1s.", param=key)
            out.append(flags)
            continue
        number = _whole(item)
        if number is None or number < 0:
            raise BadRequest(problem, param=key)
        out.append(number)
    return tuple(out)


def _trend(value: Any) -> Any:
    if isinstance(value, list | tuple) and not (len(value) == 1 and isinstance(value[0], str)):
        flags = [_whole(v) for v in value]
    else:
        value = _last(value)
        if value is None or str(value).strip().lower() in NONE_WORDS:
            return None
        text = str(value).strip().lower()
        if text in TRENDS:
            return text
        items = _items(text) if ("," in text or text.startswith("[")) else None
        flags = [_whole(v) for v in items] if items is not None else [None]
    if not flags or any(f not in (0, 1) for f in flags):
        raise BadRequest(
            f"trend={value!r} must be n (none), c (constant), t (linear), ct (both), or a list of "
            f"0/1 polynomial flags such as [1,0,1].",
            param="trend",
        )
    return flags


def check_model(args: dict[str, Any]) -> None:
    """Let statsmodels judge the combination (e.g. a constant trend with d > 0, a seasonal
    period of 1, lags in both the seasonal and non-seasonal parts) on a tiny series, so a bad
    PUT is refused before anything is stored rather than at the next training."""
    import numpy as np
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    states = state_size(args["order"], args["seasonal_order"])
    if states > MAX_STATES:
        raise BadRequest(
            f"order={list(args['order'])} with seasonal_order={list(args['seasonal_order'])} "
            f"needs {states} states; SARIMAX's cost grows with the square of that, so mlhandler "
            f"allows at most {MAX_STATES}. Use smaller orders or a shorter seasonal period.",
            param="order",
        )
    endog = np.zeros(3 * args["seasonal_order"][3] + 20)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            SARIMAX(endog, **args)
    except (ValueError, TypeError, IndexError) as exc:
        raise BadRequest(f"SARIMAX cannot be built with these parameters: {exc}",
                         params={k: v for k, v in args.items() if v != CONSTRUCTOR[k]}) from None


def state_size(order: tuple, seasonal_order: tuple) -> int:
    """The size of SARIMAX's state vector for these orders (lag lists count their length)."""
    def lags(term: Any) -> int:
        return len(term) if isinstance(term, list) else int(term)

    p, d, q = lags(order[0]), order[1], lags(order[2])
    P, D, Q, s = lags(seasonal_order[0]), seasonal_order[1], lags(seasonal_order[2]), seasonal_order[3]
    return d + D * s + max(p + P * s, q + Q * s + 1)

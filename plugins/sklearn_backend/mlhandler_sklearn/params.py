"""Cast constructor parameters given as text (HTTP) or YAML values to what the class expects,
then let scikit-learn's own parameter constraints validate them."""

from __future__ import annotations

import inspect
import re
from typing import Any

import orjson

from mlhandler.errors import BadRequest
from mlhandler.options import FALSE_WORDS, NONE_WORDS, TRUE_WORDS
from mlhandler_sklearn.support import check_class, check_safe, required_estimators

INT64 = (-(2**63), 2**63 - 1)
INT = re.compile(r"^[+-]?\d+$")
FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$", re.I)


def default_params(cls: type) -> dict[str, Any]:
    try:
        return cls().get_params(deep=False)
    except TypeError:
        # A meta-estimator with required arguments: read defaults from the signature.
        signature = inspect.signature(cls.__init__)
        return {
            name: (None if p.default is inspect.Parameter.empty else p.default)
            for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }


def coerce_params(cls: type, raw: dict[str, Any]) -> dict[str, Any]:
    check_class(cls)
    defaults = default_params(cls)
    unknown = sorted(k for k in raw if k not in defaults)
    if unknown:
        raise BadRequest(
            f"{cls.__name__} has no parameter {', '.join(map(repr, unknown))}; its parameters "
            f"are {sorted(defaults)}.",
            unknown=unknown,
            allowed=sorted(defaults),
        )
    params = {key: coerce_value(value, defaults[key]) for key, value in raw.items()}
    for key, value in params.items():
        if isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
            raise BadRequest(f"{cls.__name__}: {key}={value} is out of range.", param=key)
    check_safe(cls, params)
    required_estimators(cls, defaults, params)
    try:
        estimator = cls(**params)
    except TypeError as exc:
        raise BadRequest(f"{cls.__name__} cannot be built with {params}: {exc}.") from None
    if getattr(estimator, "_parameter_constraints", None) is not None:
        try:
            estimator._validate_params()
        except (ValueError, TypeError) as exc:
            raise BadRequest(f"Bad parameter for {cls.__name__}: {exc}", params=params) from None
    return params


def coerce_value(value: Any, default: Any) -> Any:
    if isinstance(value, list):
        items = [coerce_value(v, None) for v in value]
        return tuple(items) if isinstance(default, tuple) else items
    if not isinstance(value, str):
        return tuple(value) if isinstance(default, tuple) and isinstance(value, list) else value
    text = value.strip()
    lower = text.lower()
    if isinstance(default, bool):
        if lower in TRUE_WORDS:
            return True
        if lower in FALSE_WORDS:
            return False
    if lower in NONE_WORDS:
        return None
    if text[:1] in "[{":
        try:
            parsed = orjson.loads(text)
            return tuple(parsed) if isinstance(default, tuple) and isinstance(parsed, list) else parsed
        except orjson.JSONDecodeError:
            return text
    if INT.match(text):
        return float(text) if isinstance(default, float) else int(text)
    if FLOAT.match(text):
        return float(text)
    if lower in ("true", "false"):
        return lower == "true"
    return text

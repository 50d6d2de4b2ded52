"""Turn numpy/pandas/scikit-learn values into plain JSON-safe Python, and frames into JSON bytes."""

from __future__ import annotations

import datetime as dt
import math
from itertools import chain
from typing import Any

import numpy as np
import orjson
import pandas as pd

MAX_DEPTH = 6
OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def beyond_64_bits(value: Any) -> bool:
    """An integer orjson refuses and JSON parsers would lose precision on."""
    return isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64


def json_safe(value: Any, depth: int = 0) -> Any:
    """Plain Python for JSON: arrays become lists, NaN/inf become None, unknown objects a summary."""
    if beyond_64_bits(value):
        return str(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return json_safe(value.item(), depth)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc":
            value = np.where(np.isfinite(value), value, None) if value.dtype.kind == "f" else value.real
        return [json_safe(v, depth + 1) for v in value.tolist()] if value.dtype == object else value.tolist()
    if isinstance(value, pd.DataFrame):
        return orjson.loads(frame_to_json(value))
    if isinstance(value, pd.Series | pd.Index):
        return json_safe(value.to_numpy(), depth)
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, dict):
        if depth > MAX_DEPTH:
            return f"<dict of {len(value)} items>"
        return {str(k): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        if depth > MAX_DEPTH:
            return f"<{type(value).__name__} of {len(value)} items>"
        return [json_safe(v, depth + 1) for v in value]
    if hasattr(value, "get_params") and callable(value.get_params):
        # A nested estimator (a forest's trees, a pipeline step): name it and its params.
        if depth > MAX_DEPTH:
            return type(value).__name__
        try:
            params = value.get_params(deep=False)
        except Exception:  # noqa: BLE001 - describing must never fail
            params = {}
        return {"class": type(value).__name__, "params": json_safe(params, depth + 1)}
    if callable(value):
        return getattr(value, "__name__", type(value).__name__)
    return repr(value)


def frame_to_json(frame: pd.DataFrame) -> bytes:
    """Records JSON for a frame: numbers as numbers at full precision (floats round-trip
    exactly), missing values as null, timestamps as ISO text."""
    return b"[" + b",".join(frame_rows_json(frame)) + b"]"


def frame_rows_json(frame: pd.DataFrame) -> list[bytes]:
    """Each row of the frame as a JSON object (bytes), as `frame_to_json` writes it.

    Built column by column: each column's values are encoded in one orjson call where possible,
    then each row's bytes are joined. Building a dict per row (`to_dict("records")`) and
    encoding those costs about twice as much."""
    if len(frame.columns) == 0 or not frame.columns.is_unique:
        return [dumps(row) for row in frame_records(frame)]
    keys = [orjson.dumps(str(name)) for name in frame.columns]
    prefixes = [b"{" + keys[0] + b":"] + [b"," + key + b":" for key in keys[1:]]
    columns = [_encoded(frame.iloc[:, i]) for i in range(len(keys))]
    return [b"".join(chain.from_iterable(zip(prefixes, values, strict=True))) + b"}"
            for values in zip(*columns, strict=True)]


NULL_MARK = "\x00mlhandler-null\x00"  # stands for a missing text value while a column is encoded
NULL_MARK_JSON = orjson.dumps(NULL_MARK)[1:-1]


def _encoded(series: pd.Series) -> list[bytes]:
    """Each value of the column as JSON bytes, encoded with one orjson call where possible."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and (dtype.kind in "iub" or dtype == np.float64):
        # Numbers and booleans hold no commas: split the encoded list.
        return orjson.dumps(series.to_numpy().tolist())[1:-1].split(b",") if len(series) else []
    if len(series) == 0:
        return []
    if dtype.kind in "OUT" or pd.api.types.is_string_dtype(dtype):
        values = series.to_numpy(dtype=object, na_value=NULL_MARK).tolist()
        if all(type(value) is str for value in values):
            # Between two encoded strings lies exactly `","`; inside one, every quote is escaped.
            parts = orjson.dumps(values)[2:-2].split(b'","')
            return [b"null" if part == NULL_MARK_JSON else b'"' + part + b'"' for part in parts]
    values = series.astype(object).where(series.notna(), None).tolist()
    return [dumps(value) for value in values]


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as dicts of plain values, missing values as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def dumps(payload: Any) -> bytes:
    if isinstance(payload, pd.DataFrame):
        return frame_to_json(payload)
    try:
        return orjson.dumps(payload, default=_default, option=OPTIONS)
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits, which `default` never sees
        return orjson.dumps(json_safe(payload), default=_default, option=OPTIONS)


def _default(value: Any) -> Any:
    safe = json_safe(value)
    if safe is value:
        raise TypeError(f"cannot serialise {type(value).__name__}")
    return safe

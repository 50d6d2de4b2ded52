"""Read the timestamp column of a request or of the training data, and render timestamps back.

Accepted: ISO 8601 text (`2020-01-31`, `2020-01-31T08:00:00`, `2020-01-31T08:00:00+05:30`),
datetimes, and epoch milliseconds (what `DataFrame.to_json(orient="records")` emits), either as
numbers or as text of digits (a schema casts numbers in a text column to text).

All timestamps become naive UTC: epoch milliseconds are UTC instants, text with an offset is
converted to UTC, naive text is taken as is. Outputs are ISO 8601 text.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from mlhandler.errors import BadRequest

EPOCH_TEXT = re.compile(r"^[+-]?\d+$")
# Microseconds: precise enough for any series, and dates from year -290308 to 294247, so that a
# far-off timestamp is refused as too far ahead rather than as unreadable.
UNIT = "us"
ACCEPTED = (
    "ISO 8601 text (2020-01-31 or 2020-01-31T08:00:00), datetimes, or epoch milliseconds "
    "(1580428800000)"
)


def parse_timestamps(values: pd.Series, column: str) -> pd.Series:
    """`values` as a datetime64[us] Series (naive UTC) with NaT where a value is missing.
    Raises BadRequest naming the column and the first value that is not a timestamp."""
    try:
        parsed = _parse(values)
    except pd.errors.OutOfBoundsDatetime:
        raise BadRequest(
            f"Column {column!r} holds a timestamp beyond the dates pandas can represent "
            f"({_first_bad(values)!r}); check it. (Numbers are read as epoch milliseconds.)",
            column=column,
        ) from None
    except (ValueError, TypeError, OverflowError) as exc:
        bad = _first_bad(values)
        raise BadRequest(
            f"Column {column!r} holds timestamps, but {bad!r} is not one ({_short(exc)}). "
            f"Send {ACCEPTED}.",
            column=column,
        ) from None
    return pd.Series(parsed, index=values.index, name=values.name)


def _parse(values: pd.Series) -> pd.Series:
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _naive_utc(values)
    if pd.api.types.is_bool_dtype(dtype):
        raise TypeError("true/false is not a time")
    if pd.api.types.is_numeric_dtype(dtype):
        return _naive_utc(pd.to_datetime(values, unit="ms", utc=True))
    # Text or a mix of values (JSON rows may send some numbers and some text): one at a time
    # for the odd ones, vectorised for the text.
    out = pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[{UNIT}]")
    present = values[values.notna()]
    is_text = present.map(lambda v: isinstance(v, str))
    text = present[is_text].str.strip()
    epoch = text.str.match(EPOCH_TEXT)
    out[text[epoch].index] = _from_epoch(text[epoch].astype("int64"))
    iso = text[~epoch]
    iso = iso[iso != ""]
    if len(iso):
        out[iso.index] = _naive_utc(pd.to_datetime(iso, format="ISO8601", utc=True))
    others = present[~is_text]
    if len(others):
        out[others.index] = [_one(v) for v in others]
    return out


def _one(value: Any) -> pd.Timestamp:
    if isinstance(value, bool | np.bool_):
        raise TypeError("true/false is not a time")
    if isinstance(value, int | float | np.integer | np.floating):
        return _from_epoch(pd.Series([value])).iloc[0]
    return _naive_utc(pd.Series(pd.to_datetime([value], utc=True))).iloc[0]


def _from_epoch(millis: pd.Series) -> pd.Series:
    return _naive_utc(pd.to_datetime(millis, unit="ms", utc=True))


def _naive_utc(series: pd.Series) -> pd.Series:
    series = pd.Series(series)
    if series.dt.tz is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.dt.as_unit(UNIT)


def _first_bad(values: pd.Series) -> Any:
    for value in values:
        try:
            _parse(pd.Series([value], dtype=object))
        except (ValueError, TypeError, OverflowError):
            return value.item() if isinstance(value, np.generic) else value
    return None


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


def iso(timestamp: pd.Timestamp) -> str:
    return pd.Timestamp(timestamp).isoformat()


def iso_list(timestamps: pd.Series | pd.DatetimeIndex) -> list[str | None]:
    return [None if pd.isna(t) else iso(t) for t in timestamps]

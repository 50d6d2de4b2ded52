"""`datetime_parts`: numeric features (year, month, day of week, ...) from a date column."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mlhandler_transforms.checks import NUMERIC_OBJECTS, column_list, flag, require_columns

# part name -> how to compute it from a Series of datetimes
PARTS = {
    "year": lambda s: s.dt.year,
    "quarter": lambda s: s.dt.quarter,
    "month": lambda s: s.dt.month,
    "day": lambda s: s.dt.day,
    "dayofweek": lambda s: s.dt.day_of_week,  # Monday = 0
    "dayofyear": lambda s: s.dt.day_of_year,
    "week": lambda s: s.dt.isocalendar().week,  # ISO week number
    "hour": lambda s: s.dt.hour,
    "minute": lambda s: s.dt.minute,
    "second": lambda s: s.dt.second,
    "is_weekend": lambda s: (s.dt.day_of_week >= 5).where(s.notna()),
}
UNITS = ("s", "ms", "us", "ns", "D")


def datetime_parts(
    data: pd.DataFrame,
    /,
    column: str,
    parts: Any,
    format: str = "ISO8601",  # the name pandas users know
    unit: str = "ms",
    drop: bool = False,
) -> pd.DataFrame:
    """Add one column per part of a date: `{column}_{part}`, e.g. `date_year`, `date_month`.

    >>> datetime_parts(pd.DataFrame({"date": ["2024-03-09"]}), "date",
    ...                ["year", "month", "dayofweek"]).to_dict("records")
    [{'date': '2024-03-09', 'date_year': 2024, 'date_month': 3, 'date_dayofweek': 5}]

    Text is parsed as ISO 8601 (2024-03-09, 2024-03-09T14:30:00) unless `format` gives another
    strftime format ("%d/%m/%Y"); numbers are epoch times in `unit` (default milliseconds).
    Parts: year, quarter, month, day, dayofweek (Monday = 0), dayofyear, week (ISO), hour,
    minute, second, is_weekend (1/0). A missing date gives missing parts; a value that does not
    parse is an error, never a guess. `drop: true` removes the date column after.
    """
    names = column_list("datetime_parts", parts, "parts")
    unknown = [p for p in names if p not in PARTS]
    if unknown:
        raise ValueError(
            f"datetime_parts: unknown part(s) {unknown}; choose from {list(PARTS)}."
        )
    drop = flag("datetime_parts", drop, "drop")
    require_columns("datetime_parts", data, [column])
    dates = _parse(data[column], column, format, unit)
    result = data.copy()
    for part in names:
        values = pd.Series(PARTS[part](dates), index=data.index)
        # Whole numbers when no date is missing; floats (NaN for missing) otherwise, as pandas does.
        values = values.astype("float64")
        result[f"{column}_{part}"] = values if values.isna().any() else values.astype("int64")
    return result.drop(columns=[column]) if drop else result


def _parse(series: pd.Series, column: str, format: str, unit: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    if pd.api.types.is_bool_dtype(series):
        raise ValueError(f"datetime_parts: column {column!r} holds true/false, not dates.")
    if pd.api.types.is_object_dtype(series.dtype) and pd.api.types.infer_dtype(
        series, skipna=True
    ) in NUMERIC_OBJECTS - {"empty"}:
        series = pd.to_numeric(series)  # epoch numbers from a JSON body
    if pd.api.types.is_numeric_dtype(series):
        if unit not in UNITS:
            raise ValueError(f"datetime_parts: unit must be one of {list(UNITS)}, not {unit!r}.")
        try:
            return pd.to_datetime(series, unit=unit)
        except (ValueError, OverflowError) as exc:
            raise ValueError(
                f"datetime_parts: column {column!r} has numbers that are not epoch times in "
                f"{unit!r}: {exc}. Set unit (s, ms, us, ns, D) to match them."
            ) from None
    if not isinstance(format, str) or not format:
        raise ValueError(f"datetime_parts: format must be a strftime format, not {format!r}.")
    try:
        return pd.to_datetime(series.astype(object), format=format)
    except (ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0]
        raise ValueError(
            f"datetime_parts: column {column!r} has a value that is not a date in format "
            f"{format!r}: {first}. Set format to match it, e.g. format: '%d/%m/%Y'."
        ) from None

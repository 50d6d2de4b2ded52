"""The input schema recorded at training time, used to cast and validate incoming rows.

Casting plans are computed once per schema (not per request): `Schema.cast` walks the columns
with a precomputed converter for each dtype.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlhandler.errors import BadRequest
from mlhandler.jsonsafe import json_safe

_INT_DTYPES = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}


def dtype_family(dtype: Any, values: pd.Series | None = None) -> str:
    """One of bool, int, float, datetime, str: the families GET values are cast into. For an
    object column (e.g. booleans with nulls) the values decide."""
    if values is not None and pd.api.types.is_object_dtype(dtype):
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        return {"boolean": "bool", "integer": "int", "floating": "float",
                "mixed-integer-float": "float", "datetime": "datetime"}.get(inferred, "str")
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "str"


@dataclass
class Column:
    name: str
    family: str
    dtype: str
    categories: list[Any] | None = None


@dataclass
class Schema:
    """Feature columns (in training order) and the target, as seen at training time."""

    features: list[Column]
    target: Column | None = None
    classes: list[Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return [c.name for c in self.features]

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        features: list[str],
        target: str | None = None,
        cats: list[str] | None = None,
        classes: list[Any] | None = None,
    ) -> Schema:
        cats = set(cats or [])
        cols = []
        for name in features:
            series = frame[name]
            family = dtype_family(series.dtype, series)
            categories = None
            if name in cats or family in ("str", "bool"):
                values = pd.unique(series.dropna())
                if len(values) <= 200:
                    categories = json_safe(sorted((_plain(v) for v in values), key=str))
            cols.append(Column(name, family, str(series.dtype), categories))
        tcol = None
        if target is not None and target in frame:
            tseries = frame[target]
            tcol = Column(target, dtype_family(tseries.dtype, tseries), str(tseries.dtype))
        return cls(cols, tcol, json_safe([_plain(c) for c in classes]) if classes is not None else None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": [c.__dict__ for c in self.features],
            "target": self.target.__dict__ if self.target else None,
            "classes": self.classes,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Schema | None:
        if not data:
            return None
        target = Column(**data["target"]) if data.get("target") else None
        return cls(
            [Column(**c) for c in data["features"]],
            target,
            data.get("classes"),
            data.get("extra") or {},
        )

    def require(self, frame: pd.DataFrame) -> None:
        missing = [c for c in self.feature_names if c not in frame.columns]
        if missing:
            raise BadRequest(
                f"The data is missing column(s) {missing} that the model was trained on; "
                f"send every feature column: {self.feature_names}.",
                missing=missing,
            )

    def cast(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Cast feature columns to their training dtypes. Raises BadRequest naming the column."""
        self.require(frame)
        out = frame.copy(deep=False)
        for col in self.features:
            out[col.name] = cast_series(frame[col.name], col)
        return out


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def cast_series(series: pd.Series, col: Column) -> pd.Series:
    if str(series.dtype) == col.dtype:
        return series
    try:
        return _convert(series, col)
    except (ValueError, TypeError, OverflowError) as exc:
        bad = _first_bad(series, col)
        raise BadRequest(
            f"Column {col.name!r} must be {col.family} (as in the training data), but "
            f"{bad!r} cannot be converted: {exc}.",
            column=col.name,
            expected=col.family,
        ) from None


def _convert(series: pd.Series, col: Column) -> pd.Series:
    if col.family == "float":
        return _to_numeric(series).astype("float64")
    if col.family == "int":
        numbers = _to_numeric(series)
        if numbers.isna().any():
            return numbers.astype("float64")
        values = numbers.to_numpy(dtype="float64")
        if not np.isfinite(values).all():
            raise ValueError("it is not a finite number")
        if not np.all(np.mod(values, 1) == 0):
            raise ValueError("it has a fractional part")
        limits = np.iinfo(np.dtype(col.dtype)) if col.dtype in _INT_DTYPES else np.iinfo(np.int64)
        if numbers.dtype == object or numbers.min() < limits.min or numbers.max() > limits.max:
            raise ValueError(f"it is outside the range of {col.dtype}")
        return numbers.astype(col.dtype if col.dtype in _INT_DTYPES else "int64")
    if col.family == "bool":
        values = series.map(_to_bool)
        # Training columns of booleans with nulls are object columns of True/False/None.
        return values.astype(object).where(values.notna(), None) if col.dtype == "object" else values.astype(
            "boolean" if values.isna().any() else "bool")
    if col.family == "datetime":
        return pd.to_datetime(series)
    return _to_text(series)


def _to_numeric(series: pd.Series) -> pd.Series:
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        series = series.replace("", np.nan)
    return pd.to_numeric(series)


def _to_text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        return series
    if pd.api.types.is_float_dtype(series.dtype):
        # 3.0 from JSON should match the category "3" when the training column was text.
        series = series.map(lambda v: v if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v)))
    return series.astype("str").where(series.notna(), np.nan)


def _to_bool(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return pd.NA
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "t", "y", "1.0"}:
        return True
    if text in {"false", "0", "no", "f", "n", "0.0"}:
        return False
    raise ValueError(f"{value!r} is not a boolean")


def _first_bad(series: pd.Series, col: Column) -> Any:
    for value in series:
        try:
            _convert(pd.Series([value], dtype=object), col)
        except (ValueError, TypeError, OverflowError):
            return value
    return None

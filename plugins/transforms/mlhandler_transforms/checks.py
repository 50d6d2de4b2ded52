"""Option and column checks shared by the transforms. Each failure is a `ValueError` whose message
starts with the transform's name, says what is wrong and how to fix it; the core turns it into a
400 (request data) or a startup error (YAML data) naming the step."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import pandas as pd


def column_list(step: str, columns: Any, option: str = "columns") -> list[str]:
    """`columns` as a list of names: one name, or a list of names."""
    if isinstance(columns, str):
        return [columns]
    if isinstance(columns, list | tuple) and columns and all(isinstance(c, str) for c in columns):
        return list(columns)
    raise ValueError(
        f"{step}: {option} must be a column name or a non-empty list of column names, "
        f"not {columns!r}; e.g. {{{step}: [Age, Fare]}}."
    )


def column_mapping(step: str, columns: dict[str, Any], example: str) -> dict[str, Any]:
    """The `{column: value}` options of a per-column transform; at least one is needed."""
    if not columns:
        raise ValueError(f"{step}: give at least one column, e.g. {{{step}: {example}}}.")
    return columns


def missing_message(data: pd.DataFrame, name: str) -> str:
    """"column 'Agee' is not in the data (did you mean 'Age'?); columns are [...]"."""
    names = [str(c) for c in data.columns]
    close = difflib.get_close_matches(str(name), names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"column {name!r} is not in the data{hint}; columns are {names}"


def require_columns(step: str, data: pd.DataFrame, columns: Iterable[str]) -> None:
    for name in columns:
        if name not in data.columns:
            raise ValueError(f"{step}: {missing_message(data, name)}.")


NUMERIC_OBJECTS = {"integer", "floating", "mixed-integer-float", "decimal", "empty"}


def require_numeric(step: str, data: pd.DataFrame, column: str) -> pd.Series:
    """The column as numbers. Rows from a JSON body can hold numbers as Python objects (a column
    whose only value is null has no type at all); those count as numbers."""
    require_columns(step, data, [column])
    series = data[column]
    if pd.api.types.is_object_dtype(series.dtype):
        if pd.api.types.infer_dtype(series, skipna=True) in NUMERIC_OBJECTS:
            return pd.to_numeric(series)
    elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series
    raise ValueError(
        f"{step}: column {column!r} is not numeric (its type is {series.dtype}); convert it "
        f"first, e.g. {{astype: {{{column}: float}}}}."
    )


def number(step: str, value: Any, what: str) -> float | None:
    """A YAML number (or null for "no bound"); booleans and strings are refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{step}: {what} must be a number or null, not {value!r}.")
    return value


def flag(step: str, value: Any, name: str) -> bool:
    """A YAML true/false; text such as "no" would otherwise count as true."""
    if not isinstance(value, bool):
        raise ValueError(f"{step}: {name} must be true or false, not {value!r}.")
    return value


def present(data: pd.DataFrame, columns: list[str]) -> list[str]:
    return [c for c in columns if c in data.columns]

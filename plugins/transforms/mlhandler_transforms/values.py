"""Transforms that change the values of named columns: fillna, clip, log1p, bin, replace.

Each needs every column it names: an absent column is an error naming it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlhandler_transforms.checks import (
    column_list,
    column_mapping,
    flag,
    number,
    require_columns,
    require_numeric,
)

SCALAR = (str, int, float, bool)


def fillna(data: pd.DataFrame, /, **columns: Any) -> pd.DataFrame:
    """Fill missing values with a constant per column: `fillna(data, Age=28, Embarked="S")`.

    >>> fillna(pd.DataFrame({"Age": [1.0, None]}), Age=28)["Age"].tolist()
    [1.0, 28.0]

    Only constants: a mean or median computed here would differ between training and prediction
    data. Write the number (e.g. the training median) instead.
    """
    column_mapping("fillna", columns, "{Age: 28, Embarked: S}")
    require_columns("fillna", data, columns)
    result = data.copy()
    for name, value in columns.items():
        _check_fill_value(result[name], name, value)
        filled = result[name].fillna(value)
        # A JSON column of nulls has no type; filled with 28 it should be a number column.
        result[name] = filled.infer_objects() if filled.dtype == object else filled
    return result


def clip(data: pd.DataFrame, /, **columns: Any) -> pd.DataFrame:
    """Limit numbers to `[lower, upper]` per column (null: no bound): `clip(data, Fare=[0, 100])`.

    >>> clip(pd.DataFrame({"Fare": [-5, 50, 500]}), Fare=[0, 100])["Fare"].tolist()
    [0, 50, 100]
    """
    column_mapping("clip", columns, "{Fare: [0, 100]}")
    result = data.copy()
    for name, bounds in columns.items():
        if not isinstance(bounds, list | tuple) or len(bounds) != 2:
            raise ValueError(
                f"clip: the bounds for {name!r} must be [lower, upper] (null for no bound), "
                f"not {bounds!r}; e.g. {{clip: {{{name}: [0, 100]}}}}."
            )
        lower = number("clip", bounds[0], f"the lower bound for {name!r}")
        upper = number("clip", bounds[1], f"the upper bound for {name!r}")
        if lower is not None and upper is not None and lower > upper:
            raise ValueError(f"clip: for {name!r} the lower bound {lower} exceeds the upper {upper}.")
        series = require_numeric("clip", result, name)
        result[name] = series.clip(lower=lower, upper=upper)
    return result


def log1p(data: pd.DataFrame, /, columns: Any) -> pd.DataFrame:
    """Replace numbers x by log(1 + x) in `columns`, to tame long tails such as fares.

    >>> log1p(pd.DataFrame({"Fare": [0, np.e - 1]}), ["Fare"])["Fare"].tolist()
    [0.0, 1.0]

    Values at or below -1 have no logarithm: they are an error, not a silent NaN.
    """
    names = column_list("log1p", columns)
    result = data.copy()
    for name in names:
        series = require_numeric("log1p", result, name)
        if (series <= -1).any():
            raise ValueError(
                f"log1p: column {name!r} has values at or below -1 (smallest {series.min()}), "
                f"which have no logarithm; clip them first, e.g. {{clip: {{{name}: [0, null]}}}}."
            )
        result[name] = np.log1p(series.astype("float64"))
    return result


def bin(  # the transform's public name, though it hides the builtin here
    data: pd.DataFrame,
    /,
    column: str,
    bins: Any,
    labels: Any = None,
    into: str | None = None,
    right: bool = True,
    include_lowest: bool = False,
) -> pd.DataFrame:
    """Cut a numeric column into intervals at fixed edges (`pandas.cut`).

    >>> bin(pd.DataFrame({"Age": [5, 30]}), "Age", [0, 18, 100], ["child", "adult"],
    ...     into="AgeGroup")["AgeGroup"].tolist()
    ['child', 'adult']

    `bins` are the edges; `labels` name the intervals (default: the interval as text, "(0, 18]").
    The result goes to `into` (default: replace `column`). Values outside the edges become missing.
    """
    series = require_numeric("bin", data, column)
    right, include_lowest = flag("bin", right, "right"), flag("bin", include_lowest, "include_lowest")
    edges = _edges(bins)
    names = _labels(labels, edges, right, include_lowest)
    if into is not None and (not isinstance(into, str) or not into):
        raise ValueError(f"bin: into must be a column name, not {into!r}.")
    codes = pd.cut(series, edges, right=right, include_lowest=include_lowest, labels=False)
    values = [np.nan if pd.isna(code) else names[int(code)] for code in codes]
    # A fixed dtype from the labels, not from which rows arrived, so that one prediction row
    # outside the edges (all missing) has the same type as the training data.
    if all(isinstance(n, str) for n in names):
        dtype = "str"
    elif all(isinstance(n, int | float) and not isinstance(n, bool) for n in names):
        dtype = "float64"
    else:
        dtype = "object"
    result = data.copy()
    result[into or column] = pd.Series(values, index=data.index, dtype=dtype)
    return result


def replace(data: pd.DataFrame, /, **columns: Any) -> pd.DataFrame:
    """Replace values per column: `replace(data, Sex={"male": 0, "female": 1})`.

    >>> replace(pd.DataFrame({"Sex": ["male", "female"]}), Sex={"male": 0, "female": 1})["Sex"].tolist()
    [0, 1]

    Values not in a column's mapping are kept as they are.
    """
    column_mapping("replace", columns, "{Sex: {male: 0, female: 1}}")
    require_columns("replace", data, columns)
    result = data.copy()
    for name, mapping in columns.items():
        if not isinstance(mapping, dict) or not mapping:
            raise ValueError(
                f"replace: the replacements for {name!r} must be a mapping {{old: new}}, not "
                f"{mapping!r}; e.g. {{replace: {{{name}: {{old: new}}}}}}."
            )
        replaced = result[name].replace(mapping)
        # Text replaced by numbers comes back as objects; give it the type its values have.
        result[name] = replaced.infer_objects() if replaced.dtype == object else replaced
    return result


def _check_fill_value(series: pd.Series, name: str, value: Any) -> None:
    if not isinstance(value, SCALAR):
        raise ValueError(f"fillna: the value for {name!r} must be a single value, not {value!r}.")
    numeric_column = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if numeric_column and (isinstance(value, str | bool)):
        raise ValueError(
            f"fillna: column {name!r} holds numbers; fill it with a number, not {value!r}."
        )
    if pd.api.types.is_string_dtype(series) and not isinstance(value, str):
        raise ValueError(
            f"fillna: column {name!r} holds text; fill it with text (quote it: '{value}'), "
            f"not the {type(value).__name__} {value!r}."
        )


def _edges(bins: Any) -> list[float]:
    if isinstance(bins, int) and not isinstance(bins, bool):
        raise ValueError(
            "bin: bins must be a list of edges such as [0, 18, 60, 120], not a count: a count "
            "would place the edges by the range of each dataset, so training and prediction "
            "rows would be cut differently."
        )
    if not isinstance(bins, list | tuple) or len(bins) < 2:
        raise ValueError(f"bin: bins must be a list of at least two edges, not {bins!r}.")
    edges = [number("bin", edge, "each edge in bins") for edge in bins]
    if None in edges or any(a >= b for a, b in zip(edges, edges[1:], strict=False)):
        raise ValueError(f"bin: the edges in bins must be numbers in increasing order, not {bins!r}.")
    return edges


def _labels(labels: Any, edges: list[float], right: Any, include_lowest: Any) -> list[Any]:
    count = len(edges) - 1
    if labels is None:
        opens, closes = ("(", "]") if right else ("[", ")")
        names = [f"{opens}{a}, {b}{closes}" for a, b in zip(edges, edges[1:], strict=False)]
        if include_lowest and right:  # pandas then closes the first interval on the left too
            names[0] = f"[{names[0][1:]}"
        return names
    if not isinstance(labels, list | tuple) or len(labels) != count:
        raise ValueError(
            f"bin: labels must be a list of {count} names, one per interval between the "
            f"{len(edges)} edges, not {labels!r}."
        )
    return list(labels)

"""Transforms that choose, name and type columns: select, drop, rename, astype.

select, drop and rename skip columns absent from the data, so that they can name the target
column, which prediction rows do not have. `missing: error` makes select and drop strict.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mlhandler_transforms.checks import column_list, column_mapping, present, require_columns

MISSING_CHOICES = ("ignore", "error")


def select(data: pd.DataFrame, /, columns: Any, missing: str = "ignore") -> pd.DataFrame:
    """Keep only `columns`, in that order.

    >>> select(pd.DataFrame({"a": [1], "b": [2], "c": [3]}), ["c", "a"]).columns.tolist()
    ['c', 'a']

    Listed columns absent from the data are skipped (list the target: prediction rows lack it),
    unless `missing="error"`. Keeping none of them is always an error.
    """
    names = list(dict.fromkeys(column_list("select", columns)))
    _check_missing_option("select", missing)
    if missing == "error":
        require_columns("select", data, names)
    kept = present(data, names)
    if not kept:
        raise ValueError(
            f"select: none of the columns {names} is in the data; columns are "
            f"{[str(c) for c in data.columns]}."
        )
    return data[kept].copy()


def drop(data: pd.DataFrame, /, columns: Any, missing: str = "ignore") -> pd.DataFrame:
    """Remove `columns`.

    >>> drop(pd.DataFrame({"a": [1], "b": [2]}), ["b"]).columns.tolist()
    ['a']

    Listed columns absent from the data are skipped (they are already not there), unless
    `missing="error"`.
    """
    names = column_list("drop", columns)
    _check_missing_option("drop", missing)
    if missing == "error":
        require_columns("drop", data, names)
    return data.drop(columns=present(data, names))


def rename(data: pd.DataFrame, /, **columns: Any) -> pd.DataFrame:
    """Rename columns: `rename(data, old="new", ...)`.

    >>> rename(pd.DataFrame({"a": [1], "b": [2]}), a="x").columns.tolist()
    ['x', 'b']

    Old names absent from the data are skipped. A new name that clashes with another column is an
    error (pandas would silently make two columns with one name).
    """
    column_mapping("rename", columns, "{Pclass: ticket_class}")
    for old, new in columns.items():
        if not isinstance(new, str) or not new:
            raise ValueError(f"rename: the new name for {old!r} must be text, not {new!r}.")
    mapping = {old: new for old, new in columns.items() if old in data.columns}
    renamed = [mapping.get(c, c) for c in data.columns]
    clashes = sorted({str(c) for c in renamed if renamed.count(c) > 1} - _duplicated(data))
    if clashes:
        raise ValueError(
            f"rename: the result would have two columns named {clashes[0]!r}; drop the existing "
            f"one first or choose another name."
        )
    return data.rename(columns=mapping)


def astype(data: pd.DataFrame, /, **columns: Any) -> pd.DataFrame:
    """Convert columns to a type: `astype(data, Pclass="str", Age="float")`.

    >>> astype(pd.DataFrame({"a": [1, 2]}), a="str")["a"].tolist()
    ['1', '2']

    Types are pandas dtype names: int, float, str, bool, category, Int64 (integers with missing
    values), datetime64[ns], ...
    """
    column_mapping("astype", columns, "{Pclass: str}")
    require_columns("astype", data, columns)
    result = data.copy()
    for name, type_name in columns.items():
        dtype = _dtype(name, type_name)
        try:
            result[name] = result[name].astype(dtype)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"astype: column {name!r} cannot become {type_name}: {exc}. Fill or replace the "
                f"values that do not fit first (fillna, replace), or use a type that allows "
                f"them (e.g. Int64 for integers with missing values)."
            ) from None
    return result


def _dtype(column: str, type_name: Any):
    if not isinstance(type_name, str):
        raise ValueError(f"astype: the type for {column!r} must be a type name, not {type_name!r}.")
    try:
        return pd.api.types.pandas_dtype(type_name)
    except TypeError:
        raise ValueError(
            f"astype: {type_name!r} (for {column!r}) is not a type; use a pandas dtype name such "
            f"as int, float, str, bool, category or Int64."
        ) from None


def _check_missing_option(step: str, missing: Any) -> None:
    if missing not in MISSING_CHOICES:
        raise ValueError(f"{step}: missing must be 'ignore' or 'error', not {missing!r}.")


def _duplicated(data: pd.DataFrame) -> set[str]:
    """Names already duplicated in the input: not this step's doing, so not its error."""
    return {str(c) for c in data.columns[data.columns.duplicated()]}

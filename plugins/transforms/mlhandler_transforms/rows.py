"""Transforms that remove rows: dropna, query.

On prediction data they remove prediction rows too, like any transform they run on every dataset.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mlhandler_transforms.checks import column_list, present
from mlhandler_transforms.expressions import evaluate

HOW_CHOICES = ("any", "all")


def dropna(data: pd.DataFrame, /, subset: Any = None, how: str = "any") -> pd.DataFrame:
    """Drop rows with missing values (in `subset`'s columns, or in any column).

    >>> dropna(pd.DataFrame({"a": [1, None], "b": [None, 2]}), ["a"])["a"].tolist()
    [1.0]

    `subset` columns absent from the data are skipped: a row cannot miss a value in a column it
    does not have (list the target: prediction rows lack it). `how: all` drops a row only when
    every checked value is missing.
    """
    if how not in HOW_CHOICES:
        raise ValueError(f"dropna: how must be 'any' or 'all', not {how!r}.")
    if subset is None:
        return data.dropna(how=how)
    checked = present(data, column_list("dropna", subset, "subset"))
    if not checked:
        return data.copy()
    return data.dropna(subset=checked, how=how)


def query(data: pd.DataFrame, /, expr: Any) -> pd.DataFrame:
    """Keep the rows where a condition holds (`DataFrame.query` syntax).

    >>> query(pd.DataFrame({"Fare": [5, 600]}), "Fare < 500")["Fare"].tolist()
    [5]
    """
    mask = evaluate("query", data, expr)
    if not isinstance(mask, pd.Series) or not pd.api.types.is_bool_dtype(mask):
        raise ValueError(
            f"query: {expr!r} is not a condition (true or false for each row); write a "
            f"comparison such as 'Fare < 500 and Age > 0'."
        )
    return data.loc[mask.fillna(False).astype(bool)].copy()

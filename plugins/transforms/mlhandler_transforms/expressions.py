"""`assign`: new or replaced columns from pandas expressions (`DataFrame.eval`), and the evaluation
helper that `query` shares. Expressions come only from the YAML, never from a request."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mlhandler_transforms.checks import column_mapping


def assign(data: pd.DataFrame, /, **columns: Any) -> pd.DataFrame:
    """Set columns to expressions over the data: `assign(data, X1="exp(-X1**2)")`.

    >>> assign(pd.DataFrame({"a": [1, 2]}), b="a * 10")["b"].tolist()
    [10, 20]

    Each value is a `DataFrame.eval` expression over the column names (math functions such as
    exp, log, log1p, sqrt, abs, sin are available; names with spaces go in backticks). Columns are
    set in order, so a later expression can use an earlier one. A number sets a constant column.
    """
    column_mapping("assign", columns, '{ratio: "Fare / (SibSp + Parch + 1)"}')
    result = data.copy()
    for name, expr in columns.items():
        if isinstance(expr, int | float) and not isinstance(expr, bool):
            result[name] = expr
            continue
        value = evaluate("assign", result, expr, f"for {name!r}")
        if isinstance(value, pd.DataFrame):
            raise ValueError(
                f"assign: the expression for {name!r} ({expr!r}) gives a table, not a column; "
                f"write one expression per column, without '='."
            )
        result[name] = value
    return result


def evaluate(step: str, data: pd.DataFrame, expr: Any, what: str = "") -> Any:
    """`data.eval(expr)`, with any failure turned into a ValueError naming the step."""
    where = f" {what}" if what else ""
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError(f"{step}: the expression{where} must be non-empty text, not {expr!r}.")
    try:
        return data.eval(expr)
    except Exception as exc:  # noqa: BLE001 - any failure of a user's expression is their error
        message = str(exc).strip() or type(exc).__name__
        raise ValueError(
            f"{step}: the expression{where} {expr!r} failed: {message}. Columns are "
            f"{[str(c) for c in data.columns]} (put names with spaces in backticks)."
        ) from None

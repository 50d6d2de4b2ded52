"""Text clean-up: lowercase, strip. With no columns named they apply to every text column."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from mlhandler_transforms.checks import column_list, require_columns


def lowercase(data: pd.DataFrame, /, columns: Any = None) -> pd.DataFrame:
    """Lowercase text in `columns` (default: every text column).

    >>> lowercase(pd.DataFrame({"Sex": ["Male", "FEMALE"]}))["Sex"].tolist()
    ['male', 'female']
    """
    return _apply_text("lowercase", data, columns, str.lower)


def strip(data: pd.DataFrame, /, columns: Any = None) -> pd.DataFrame:
    """Remove leading and trailing whitespace from text in `columns` (default: every text column).

    >>> strip(pd.DataFrame({"Embarked": [" S ", "C"]}))["Embarked"].tolist()
    ['S', 'C']
    """
    return _apply_text("strip", data, columns, str.strip)


def _apply_text(step: str, data: pd.DataFrame, columns: Any, change: Callable[[str], str]):
    if columns is None:
        names = [c for c in data.columns if _is_text(data[c])]
    else:
        names = column_list(step, columns)
        require_columns(step, data, names)
        for name in names:
            if not _is_text(data[name]):
                raise ValueError(
                    f"{step}: column {name!r} is not text (its type is {data[name].dtype}); "
                    f"name only text columns, or convert it first with {{astype: {{{name}: str}}}}."
                )
    result = data.copy()
    for name in names:
        # Only str values change: missing values and numbers in a mixed column stay as they are.
        result[name] = result[name].map(lambda v: change(v) if isinstance(v, str) else v)
    return result


def _is_text(series: pd.Series) -> bool:
    if pd.api.types.is_object_dtype(series.dtype):
        return any(isinstance(v, str) for v in series) or series.isna().all()
    return pd.api.types.is_string_dtype(series.dtype)

"""The input column `text`, and the training rows of a text model."""

from __future__ import annotations

from typing import Any

import orjson
import pandas as pd

from mlhandler.errors import BadRequest
from mlhandler.options import ModelOptions
from mlhandler.schema import Column, Schema

TEXT = "text"


def texts_of(data: pd.DataFrame) -> list[str]:
    """The `text` column as strings; a missing value is an empty text (one output per row)."""
    if TEXT not in data.columns:
        raise BadRequest(
            f"The data has no {TEXT!r} column; send the texts under {TEXT!r}, e.g. "
            f"?text=… or [{{\"text\": \"…\"}}]. Its columns: {[str(c) for c in data.columns]}.",
            missing=[TEXT],
        )
    return ["" if is_missing(v) else str(v) for v in data[TEXT].tolist()]


def text_schema(target: str | None = None, classes: list[str] | None = None,
                target_family: str = "str") -> Schema:
    """One feature, `text`, cast to text (so ?text=007 stays "007"); the labels in `target`."""
    return Schema(
        [Column(TEXT, "str", "str")],
        Column(target, target_family, "object") if target else None,
        classes,
    )


def target_of(data: pd.DataFrame, opts: ModelOptions, class_name: str, example: str) -> str:
    target = opts.target_col
    if not target:
        raise BadRequest(
            f"{class_name} needs the column that holds the labels: add ?target_col={example} "
            f"to the request, or PUT ?target_col={example}.",
        )
    if target == TEXT:
        raise BadRequest(
            f"target_col cannot be {TEXT!r}, the input column; name the labels column."
        )
    if target not in data.columns:
        raise BadRequest(
            f"The target column {target!r} is not in the data; its columns are "
            f"{[str(c) for c in data.columns]}. Set target_col to the labels column.",
        )
    if TEXT not in data.columns:
        texts_of(data)  # raises, naming the missing column
    return target


def training_rows(data: pd.DataFrame, target: str, opts: ModelOptions) -> pd.DataFrame:
    """`text` and the target, without the rows dropna/drop_duplicates remove. Missing values
    left in (dropna=false) are a 400 naming the rows."""
    frame = data[[TEXT, target]].reset_index(drop=True)
    missing = frame[TEXT].map(is_missing) | frame[target].map(is_missing)
    if missing.any():
        if not opts.dropna:
            rows = frame.index[missing].tolist()
            raise BadRequest(
                f"Rows {rows[:10]} have no text or no {target!r}; fill them, or set dropna=true.",
                rows=rows[:10],
            )
        frame = frame[~missing]
    if opts.drop_duplicates and len(frame):
        keys = frame[TEXT].astype(str) + "\x00" + frame[target].map(_key)
        frame = frame[~keys.duplicated()]
    if frame.empty:
        raise BadRequest(f"No training rows have both a text and a {target!r}; send some that do.")
    return frame  # indexed by row number in `data`, which error messages name


def scoring_rows(data: pd.DataFrame, opts: ModelOptions, example: str) -> tuple[pd.DataFrame, str]:
    """The rows to score (those with a target) and the target column; `example` is the
    target_col to suggest when none is set."""
    target = opts.target_col
    if not target:
        raise BadRequest(f"Scoring needs the target column: add ?target_col={example}.")
    if target not in data.columns:
        raise BadRequest(f"The data has no target column {target!r} to score against; include it, "
                         f"or name another with ?target_col=.")
    data = data.reset_index(drop=True)
    data = data[~data[target].map(is_missing)]
    if data.empty:
        raise BadRequest(f"Every row's {target!r} is missing; nothing to score.")
    return data, target


def is_missing(value: Any) -> bool:
    """None or NaN. A list of spans (NER), even an empty one, is a value."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _key(value: Any) -> str:
    if hasattr(value, "tolist"):
        value = value.tolist()
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        return repr(value)

"""Which columns are features, and the rows training uses (api.md §2.5)."""

from __future__ import annotations

import pandas as pd

from mlhandler.errors import BadRequest
from mlhandler.options import ModelOptions


def feature_columns(data: pd.DataFrame, opts: ModelOptions) -> list[str]:
    """include/exclude filter the features; the target and index columns are never features."""
    columns = [str(c) for c in data.columns]
    if opts.include:
        missing = [c for c in opts.include if c not in columns]
        if missing:
            raise BadRequest(
                f"include names column(s) {missing} that the data does not have; its columns are "
                f"{columns}.",
                missing=missing,
            )
        columns = [c for c in columns if c in opts.include]
    never = set(opts.exclude) | {opts.target_col, opts.index_col}
    features = [c for c in columns if c not in never]
    for option in ("cats", "nums"):
        absent = [c for c in getattr(opts, option) if c not in data.columns]
        if absent:
            raise BadRequest(
                f"{option} names column(s) {absent} that the data does not have; its columns are "
                f"{[str(c) for c in data.columns]}.",
                missing=absent,
            )
    if not features:
        raise BadRequest(
            "No feature columns are left after include/exclude and the target; check the options "
            "with GET ?_params.",
        )
    return features


def training_frame(
    data: pd.DataFrame, features: list[str], target: str | None, opts: ModelOptions
) -> pd.DataFrame:
    """The used columns, with dropna / drop_duplicates applied (training data only)."""
    columns = features + ([target] if target and target not in features else [])
    frame = data[columns]
    for name in columns:
        kind = pd.api.types.infer_dtype(frame[name], skipna=True)
        if kind.startswith("mixed") and kind != "mixed-integer-float":
            raise BadRequest(
                f"Column {name!r} mixes kinds of values (e.g. text and numbers, or nested "
                f"objects); make every value in it the same kind, or exclude it.",
                column=name,
            )
    if opts.dropna:
        frame = frame.dropna()
    if opts.drop_duplicates:
        frame = frame.drop_duplicates()
    if frame.empty:
        raise BadRequest(
            f"No training rows are left after dropna={opts.dropna} and drop_duplicates="
            f"{opts.drop_duplicates} (from {len(data)} rows); fill missing values or PUT "
            f"?dropna=false.",
        )
    return frame

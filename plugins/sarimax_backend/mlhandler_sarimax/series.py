"""Turn the training data (the cache) into what SARIMAX fits: the target series and the
exogenous regressors on a regular index of real timestamps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlhandler.errors import BadRequest
from mlhandler.options import ModelOptions
from mlhandler_sarimax.frequency import grid, grid_between, infer_freq, irregular_message
from mlhandler_sarimax.timestamps import iso, parse_timestamps

# With an explicit freq, periods with no row are missing values; a freq so fine that most
# periods would be missing (hourly for quarterly data) is a mistake, and a costly one to fit.
MAX_PERIODS_PER_ROW = 10


@dataclass
class TrainingSeries:
    endog: pd.Series  # the target on a regular DatetimeIndex with its freq set; NaN = no value
    exog: pd.DataFrame | None  # the exogenous regressors on the same index, or None
    freq: str
    rows: int  # rows with a target value that the model is fitted on
    dropped: int  # rows dropped for missing values (dropna) or as exact duplicates


def required_columns(data: pd.DataFrame, opts: ModelOptions) -> tuple[str, str]:
    """index_col and target_col, which SARIMAX cannot do without, checked against the data."""
    for option, what in (("index_col", "the timestamp column"), ("target_col", "the series to forecast")):
        name = getattr(opts, option)
        if not name:
            raise BadRequest(
                f"SARIMAX needs {option} ({what}): PUT ?{option}=COLUMN or set {option} in the "
                f"YAML's model section. The data's columns are {list(map(str, data.columns))}.",
                option=option,
            )
        if name not in data.columns:
            raise BadRequest(
                f"{option}={name!r} is not a column of the data; its columns are "
                f"{list(map(str, data.columns))}.",
                option=option,
            )
    if opts.index_col == opts.target_col:
        raise BadRequest("index_col and target_col must be different columns.")
    return opts.index_col, opts.target_col


def exog_columns(data: pd.DataFrame, opts: ModelOptions) -> list[str]:
    """The exogenous regressors: every column but the index and target, after include/exclude."""
    if opts.cats:
        raise BadRequest(
            f"SARIMAX uses its exogenous columns as numbers and does not one-hot encode "
            f"categories; remove cats={opts.cats} (DELETE ?delete=opts&_opts=cats) and exclude "
            f"text columns, or encode them as numbers with a data transform.",
            option="cats",
        )
    missing = [c for c in opts.include if c not in data.columns]
    if missing:
        raise BadRequest(f"include names column(s) {missing} that the data does not have.",
                         missing=missing)
    skip = {opts.index_col, opts.target_col, *opts.exclude}
    names = [c for c in data.columns if c not in skip]
    return [c for c in opts.include if c not in skip] if opts.include else names


def training_series(data: pd.DataFrame, opts: ModelOptions, freq: str | None) -> TrainingSeries:
    index_col, target = required_columns(data, opts)
    exog = exog_columns(data, opts)
    frame = data[[index_col, target, *exog]].copy()
    frame[target] = _numeric(frame[target], target, "target_col")
    for name in exog:
        frame[name] = _numeric(frame[name], name, "exogenous")
    total = len(frame)
    # Timestamps first: the same period sent as ISO text and as epoch milliseconds is a duplicate.
    frame[index_col] = parse_timestamps(frame[index_col], index_col)
    if opts.drop_duplicates:
        frame = frame.drop_duplicates()
    unique_rows = len(frame)
    if opts.dropna:
        frame = frame.dropna()
    else:
        _require_present(frame, index_col, exog)
    dropped = total - len(frame)
    if frame.empty:
        raise BadRequest("No training rows are left after dropping rows with missing values; "
                         "send rows with a timestamp and a target value.")
    frame = frame.sort_values(index_col, kind="stable")
    stamps = pd.DatetimeIndex(frame[index_col])
    _require_unique(stamps, index_col)
    freq = freq or infer_freq(stamps)
    if freq is None:
        incomplete = unique_rows - len(frame)
        extra = f" ({incomplete} rows with missing values were dropped: dropna is on.)" if incomplete else ""
        raise BadRequest(irregular_message(stamps, index_col) + extra, column=index_col)
    periods = _periods(stamps, freq, index_col)
    frame = frame.set_index(index_col).reindex(periods)
    if exog and frame[exog].isna().any().any():
        at = frame.index[frame[exog].isna().any(axis=1)][0]
        raise BadRequest(
            f"The training data has no exogenous values for {iso(at)} (frequency {freq}); with "
            f"exogenous columns {exog}, every period from the first to the last timestamp needs "
            f"a row with their values.",
            column=index_col,
        )
    endog = frame[target].astype("float64")
    return TrainingSeries(
        endog=endog,
        exog=frame[exog].astype("float64") if exog else None,
        freq=freq,
        rows=int(endog.notna().sum()),
        dropped=dropped,
    )


def _numeric(values: pd.Series, name: str, role: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("float64")
    try:
        if not pd.api.types.is_numeric_dtype(values.dtype):
            values = values.replace("", np.nan)
        return pd.to_numeric(values)
    except (ValueError, TypeError):
        hint = ("exclude it (PUT ?exclude=" + name + ") or encode it as numbers"
                if role == "exogenous" else "choose a numeric target_col")
        raise BadRequest(
            f"SARIMAX needs numbers, but the {role} column {name!r} holds text such as "
            f"{_first_text(values)!r}; {hint}.",
            column=name,
        ) from None


def _first_text(values: pd.Series) -> object:
    for value in values.dropna():
        try:
            float(value)
        except (ValueError, TypeError):
            return value
    return None


def _require_present(frame: pd.DataFrame, index_col: str, exog: list[str]) -> None:
    for name in (index_col, *exog):
        if frame[name].isna().any():
            raise BadRequest(
                f"Column {name!r} has {int(frame[name].isna().sum())} missing values, and "
                f"dropna is off; fill them, or set dropna=true to drop those rows.",
                column=name,
            )


def _require_unique(stamps: pd.DatetimeIndex, column: str) -> None:
    repeated = stamps[stamps.duplicated()].unique()
    if len(repeated):
        shown = ", ".join(iso(t) for t in repeated[:3])
        raise BadRequest(
            f"{len(repeated)} timestamp(s) in {column!r} have more than one row (e.g. {shown}); a "
            f"series has one value per period. Remove the extra rows (drop_duplicates=true drops "
            f"rows that are exact copies).",
            column=column,
        )


def _periods(stamps: pd.DatetimeIndex, freq: str, column: str) -> pd.DatetimeIndex:
    """Every period from the first timestamp to the last; each timestamp must be one of them."""
    step = grid(stamps[0], 2, freq)[1] - stamps[0]
    count = (stamps[-1] - stamps[0]) / step + 1
    if count > MAX_PERIODS_PER_ROW * len(stamps) + 100:
        raise BadRequest(
            f"freq={freq} makes about {int(count)} periods between {iso(stamps[0])} and "
            f"{iso(stamps[-1])} for {len(stamps)} rows, so nearly every period would be missing; "
            f"set freq to the data's own spacing.",
            param="freq",
        )
    periods = grid_between(stamps[0], stamps[-1], freq)
    off = stamps[~stamps.isin(periods)]
    if len(off):
        raise BadRequest(
            f"{column}={iso(off[0])} does not fall on the frequency {freq} counted from the first "
            f"timestamp {iso(stamps[0])}; fix the timestamp or the freq parameter.",
            column=column,
        )
    return periods

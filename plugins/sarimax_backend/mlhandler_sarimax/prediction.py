"""Predictions for rows that carry timestamps: in-sample periods get the model's one-step-ahead
predictions, later periods get forecasts, and one request may mix both. Also `_steps` forecasts.

Either way a row's prediction is the model's, given the actual history before its period and
the row's own exogenous values. Exogenous regressors enter SARIMAX as a regression term
(x_t · beta, outside the state; params.py keeps it so), so a prediction depends on its own
period's regressor values only, linearly.

Output columns: the prediction under target_col and, with `_interval=LEVEL`, the bounds of the
prediction interval as `<target_col>_lower` and `<target_col>_upper`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlhandler.errors import BadRequest
from mlhandler_sarimax.frequency import MAX_HORIZON, grid, periods_of
from mlhandler_sarimax.model import SarimaxModel
from mlhandler_sarimax.timestamps import iso, iso_list, parse_timestamps

DEFAULT_INTERVAL = 0.95


def interval_alpha(query: dict[str, Any]) -> float | None:
    """`_interval=0.9` → alpha 0.1; `_interval` with no value → the 95% interval; absent → None."""
    if "_interval" not in query:
        return None
    value = query["_interval"]
    value = value[-1] if isinstance(value, list) else value
    if value is None or str(value).strip() == "":
        return 1 - DEFAULT_INTERVAL
    try:
        level = float(value)
    except (TypeError, ValueError):
        level = float("nan")
    if not 0 < level < 1:
        raise BadRequest(
            f"_interval={value!r} must be the coverage of the prediction interval, a number "
            f"between 0 and 1 (e.g. _interval=0.95 for 95%).",
            option="_interval",
        )
    return 1 - level


def bound_columns(target: str) -> tuple[str, str]:
    return f"{target}_lower", f"{target}_upper"


def predict_rows(model: SarimaxModel, data: pd.DataFrame, alpha: float | None) -> pd.DataFrame:
    """`data` with the index column as ISO text and the prediction (and bounds) added; one
    output row per input row, in order."""
    column, original = model.index_col, data
    stamps = parse_timestamps(data[column].reset_index(drop=True), column)
    missing = np.flatnonzero(stamps.isna().to_numpy())
    if len(missing):
        raise BadRequest(
            f"Row {int(missing[0])} has no timestamp in {column!r}; every row to predict needs "
            f"one.",
            column=column,
        )
    periods = periods_of(stamps, model.start, model.nobs, model.freq, column)
    mean = np.full(len(data), np.nan)
    bounds = np.full((len(data), 2), np.nan)
    inside = periods < model.nobs
    data = data.reset_index(drop=True)
    if inside.any():
        _in_sample_rows(model, data, periods, np.flatnonzero(inside), alpha, mean, bounds)
    if (~inside).any():
        _forecast_rows(model, data, stamps, periods, np.flatnonzero(~inside), alpha, mean, bounds)
    out = original.copy()
    out[column] = iso_list(stamps)
    out[model.target_col] = mean
    if alpha is not None:
        lower, upper = bound_columns(model.target_col)
        out[lower], out[upper] = bounds[:, 0], bounds[:, 1]
    return out


def _in_sample_rows(model: SarimaxModel, data: pd.DataFrame, periods: np.ndarray, rows: np.ndarray,
                    alpha: float | None, mean: np.ndarray, bounds: np.ndarray) -> None:
    """The one-step-ahead predictions of training periods. A row whose regressor values differ
    from the training data's moves by the difference times the coefficients (a blank value
    keeps the training data's)."""
    first, last = int(periods[rows].min()), int(periods[rows].max())
    values, conf = model.in_sample(first, last, alpha)
    at = periods[rows] - first
    shift = np.zeros(len(rows))
    if model.exog:
        sent = data[model.exog].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")[rows]
        if np.isinf(sent).any():
            name = model.exog[int(np.argwhere(np.isinf(sent))[0][1])]
            raise BadRequest(f"The exogenous column {name!r} holds an infinite value; send finite "
                             f"numbers.", column=name)
        trained = model.exog_frame.to_numpy()[periods[rows]]
        difference = np.where(np.isfinite(sent), sent - trained, 0.0)
        shift = difference @ model.exog_coef()
    mean[rows] = values[at] + shift
    if conf is not None:
        bounds[rows] = conf[at] + shift[:, None]


def _forecast_rows(model: SarimaxModel, data: pd.DataFrame, stamps: pd.Series, periods: np.ndarray,
                   rows: np.ndarray, alpha: float | None, mean: np.ndarray, bounds: np.ndarray) -> None:
    """Forecast the rows after the training data. Without exogenous regressors one forecast
    covers them all. With them, statsmodels wants a row of regressor values for every period
    up to the furthest one requested; a forecast for a period depends on that period's
    regressors only (see the module's docstring), so periods nobody asked about are filled with
    the values of a requested row. Rows sharing a period (with different regressor values) are
    forecast in separate passes."""
    steps = int(periods[rows].max()) - model.nobs + 1
    exog = _exog_values(model, data, stamps, rows)
    pending = rows
    while len(pending):
        # One pass: the first pending row of each period.
        _, first = np.unique(periods[pending], return_index=True)
        batch, pending = pending[first], np.delete(pending, first)
        matrix = None
        if exog is not None:
            matrix = np.repeat(exog[batch[:1]], steps, axis=0)
            matrix[periods[batch] - model.nobs] = exog[batch]
        values, conf = model.forecast(steps, matrix, alpha)
        mean[batch] = values[periods[batch] - model.nobs]
        if conf is not None:
            bounds[batch] = conf[periods[batch] - model.nobs]


def _exog_values(model: SarimaxModel, data: pd.DataFrame, stamps: pd.Series,
                 rows: np.ndarray) -> np.ndarray | None:
    if not model.exog:
        return None
    values = data[model.exog].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
    for name, column in zip(model.exog, values.T, strict=True):
        bad = rows[~np.isfinite(column[rows])]
        if len(bad):
            raise BadRequest(
                f"Row {int(bad[0])} ({model.index_col}={iso(stamps[int(bad[0])])}) is after the "
                f"training data, so forecasting it needs a number in the exogenous column "
                f"{name!r}, which is missing or not finite.",
                column=name,
            )
    return values


def forecast_steps(model: SarimaxModel, steps: int, alpha: float | None) -> pd.DataFrame:
    """The `steps` periods after the training data: timestamp, prediction (and bounds)."""
    if model.exog:
        raise BadRequest(
            f"This SARIMAX model uses exogenous regressors {model.exog}, and _steps cannot know "
            f"their future values. POST rows with {model.index_col} and {', '.join(model.exog)} "
            f"to ?_action=predict instead (or GET ?{model.index_col}=…&{model.exog[0]}=…).",
            exog=model.exog,
        )
    if steps > MAX_HORIZON:
        raise BadRequest(f"_steps={steps} is too many: forecasts reach at most {MAX_HORIZON} periods.")
    try:
        stamps = grid(model.end, steps + 1, model.freq)[1:]
    except ValueError:  # pandas' OutOfBoundsDatetime
        raise BadRequest(
            f"_steps={steps} reaches past {pd.Timestamp.max.date()}, the last date pandas can "
            f"represent; ask for fewer steps."
        ) from None
    values, conf = model.forecast(steps, None, alpha)
    out = pd.DataFrame({model.index_col: iso_list(stamps), model.target_col: values})
    if conf is not None:
        lower, upper = bound_columns(model.target_col)
        out[lower], out[upper] = conf[:, 0], conf[:, 1]
    return out

"""The SARIMAX backend: what the core calls to build, fit, predict, forecast, score and describe
a SARIMAX model (see mlhandler.backend.Backend and ForecastBackend)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mlhandler.backend import Prediction, Trained
from mlhandler.errors import BadRequest
from mlhandler.options import ModelOptions
from mlhandler.schema import Column, Schema
from mlhandler.specs import EstimatorSpec
from mlhandler_sarimax.model import SarimaxModel, fit_model
from mlhandler_sarimax.params import coerce_params
from mlhandler_sarimax.prediction import forecast_steps, interval_alpha, predict_rows
from mlhandler_sarimax.scoring import DEFAULT_METRIC, mean_absolute_error, score
from mlhandler_sarimax.series import training_series
from mlhandler_sarimax.timestamps import iso

NAME = "SARIMAX"
OPTIONS = {"_interval"}  # the `_options` a prediction or a forecast takes


class SarimaxBackend:
    def coerce_params(self, spec: EstimatorSpec, raw: dict[str, Any]) -> dict[str, Any]:
        return coerce_params(raw)

    def train(self, spec: EstimatorSpec, params: dict[str, Any], data: pd.DataFrame,
              opts: ModelOptions, current: Any = None) -> Trained:
        # `current` is ignored: every training fits afresh on the whole cache.
        series = training_series(data, opts, params.get("freq"))
        model = fit_model(series, params, opts.index_col, opts.target_col)
        observed = series.endog.notna().to_numpy()
        mae = mean_absolute_error(series.endog.to_numpy()[observed], model.fitted_values()[observed])
        result = {
            "score": mae,
            "metric": DEFAULT_METRIC,
            "rows": series.rows,
            "freq": model.freq,
            "start": iso(model.start),
            "end": iso(model.end),
            **model.fit_info,
        }
        return Trained(model=model, schema=_schema(model), result=result)

    def predict(self, model: SarimaxModel, data: pd.DataFrame, opts: ModelOptions,
                schema: Schema | None, query: dict[str, Any]) -> Prediction:
        _check_options(query, "predicting")
        _require_columns(model, data)
        return Prediction(frame=predict_rows(model, data, interval_alpha(query)))

    def forecast(self, model: SarimaxModel, steps: int, opts: ModelOptions,
                 schema: Schema | None, query: dict[str, Any]) -> Prediction:
        _check_options(query, "forecasting with _steps")
        return Prediction(frame=forecast_steps(model, steps, interval_alpha(query)))

    def score(self, model: SarimaxModel, data: pd.DataFrame, opts: ModelOptions,
              schema: Schema | None, metric: str | None) -> dict[str, Any]:
        target = opts.target_col or model.target_col
        if target not in data.columns:
            raise BadRequest(
                f"The data has no target column {target!r} to score against; include it, or "
                f"name another with ?target_col=.",
                column=target,
            )
        try:
            actual = pd.to_numeric(data[target])
        except (ValueError, TypeError):
            raise BadRequest(f"Cannot score against {target!r}: it is not numeric.",
                             column=target) from None
        data = data[actual.notna()]
        if data.empty:
            raise BadRequest(f"Every row's target {target!r} is missing; nothing to score.")
        _require_columns(model, data)
        predicted = predict_rows(model, data, None)[model.target_col]
        value, name = score(metric, actual[actual.notna()].to_numpy(dtype="float64"),
                            predicted.to_numpy(dtype="float64"))
        return {"score": value, "metric": name, "rows": len(data)}

    def model_params(self, model: SarimaxModel) -> dict[str, Any]:
        return model.constructor_params()

    def fitted_attrs(self, model: SarimaxModel) -> dict[str, Any]:
        return model.attrs()

    def identify(self, model: Any) -> str | None:
        return NAME if isinstance(model, SarimaxModel) else None


def _schema(model: SarimaxModel) -> Schema:
    """The timestamp column first (as text: the backend parses ISO text and epoch milliseconds
    itself, which the core's datetime cast would read as nanoseconds), then the regressors."""
    features = [Column(model.index_col, "str", "str")]
    features += [Column(name, "float", "float64") for name in model.exog]
    return Schema(
        features,
        target=Column(model.target_col, "float", "float64"),
        extra={"index_col": model.index_col, "freq": model.freq, "exog": model.exog},
    )


def _check_options(query: dict[str, Any], doing: str) -> None:
    unknown = sorted(set(query) - OPTIONS)
    if "_steps" in unknown:
        raise BadRequest(
            "_steps forecasts the periods after the training data and takes no column values: "
            "send ?_steps=N alone (with _interval if you like), or drop _steps to predict the "
            "rows you sent.",
        )
    if unknown:
        raise BadRequest(
            f"SARIMAX does not take {unknown} when {doing}; it takes {sorted(OPTIONS)} "
            f"(e.g. _interval=0.95).",
            unknown=unknown,
        )


def _require_columns(model: SarimaxModel, data: pd.DataFrame) -> None:
    """The core checks the schema's columns; a model loaded without one is checked here."""
    needed = [model.index_col, *model.exog]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise BadRequest(
            f"The data is missing column(s) {missing}; SARIMAX needs {model.index_col!r} (the "
            f"timestamps) and its exogenous columns {model.exog}.",
            missing=missing,
        )


BACKEND = SarimaxBackend()

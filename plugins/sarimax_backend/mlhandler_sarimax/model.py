"""The model an endpoint serves: statsmodels' fitted SARIMAX results plus what mlhandler needs
around them (the columns, the frequency, the parameters it was built with)."""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlhandler.jsonsafe import json_safe
from mlhandler_sarimax.params import all_params, constructor_args, fit_args
from mlhandler_sarimax.series import TrainingSeries
from mlhandler_sarimax.timestamps import iso

MAX_WARNINGS = 5


@dataclass
class SarimaxModel:
    params: dict[str, Any]  # the parameters the user set (coerced); defaults fill the rest
    index_col: str
    target_col: str
    exog: list[str]  # exogenous regressor columns, in the order the model uses them
    freq: str
    results: Any  # statsmodels SARIMAXResultsWrapper
    fit_info: dict[str, Any] = field(default_factory=dict)  # converged, warnings
    # statsmodels' prediction methods update the shared model's parameters in place: one
    # prediction at a time per model keeps concurrent requests from interleaving there.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, lock=threading.Lock())

    @property
    def index(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.results.model.data.row_labels)

    @property
    def start(self) -> pd.Timestamp:
        return self.index[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.index[-1]

    @property
    def nobs(self) -> int:
        """Periods in the training data (including periods with no target value)."""
        return int(self.results.nobs)

    @property
    def endog(self) -> pd.Series:
        return pd.Series(np.asarray(self.results.model.endog).ravel(), index=self.index)

    @property
    def exog_frame(self) -> pd.DataFrame | None:
        if not self.exog:
            return None
        return pd.DataFrame(np.asarray(self.results.model.exog), index=self.index, columns=self.exog)

    def in_sample(self, first: int, last: int, alpha: float | None) -> tuple[np.ndarray, np.ndarray | None]:
        """One-step-ahead predictions for periods first..last of the training data."""
        with self.lock:
            prediction = self.results.get_prediction(start=first, end=last)
            return _mean_and_bounds(prediction, alpha)

    def forecast(self, steps: int, exog: np.ndarray | None, alpha: float | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Forecasts for the `steps` periods after the training data."""
        with self.lock:
            prediction = self.results.get_forecast(steps=steps, exog=exog)
            return _mean_and_bounds(prediction, alpha)

    def exog_coef(self) -> np.ndarray:
        """The regression coefficient of each exogenous column, in `self.exog` order."""
        coef = dict(zip(self.results.param_names, np.asarray(self.results.params), strict=True))
        return np.array([coef[name] for name in self.exog], dtype="float64")

    def fitted_values(self) -> np.ndarray:
        return self.in_sample(0, self.nobs - 1, None)[0]

    def constructor_params(self) -> dict[str, Any]:
        return json_safe({**all_params(self.params), "freq": self.freq})

    def attrs(self) -> dict[str, Any]:
        results = self.results
        return json_safe({
            "coef": dict(zip(results.param_names, np.asarray(results.params), strict=True)),
            "aic": results.aic,
            "bic": results.bic,
            "hqic": results.hqic,
            "llf": results.llf,
            "nobs": self.nobs,
            "freq": self.freq,
            "start": iso(self.start),
            "end": iso(self.end),
            "index_col": self.index_col,
            "target_col": self.target_col,
            "exog": self.exog,
            **self.fit_info,
        })


def _mean_and_bounds(prediction: Any, alpha: float | None) -> tuple[np.ndarray, np.ndarray | None]:
    mean = np.asarray(prediction.predicted_mean, dtype="float64").ravel()
    if alpha is None:
        return mean, None
    return mean, np.asarray(prediction.conf_int(alpha=alpha), dtype="float64")


def sarimax(endog: pd.Series, exog: pd.DataFrame | None, params: dict[str, Any]) -> Any:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    return SARIMAX(endog, exog=exog, **constructor_args(params))


def fit_model(series: TrainingSeries, params: dict[str, Any], index_col: str,
              target_col: str) -> SarimaxModel:
    """Fit SARIMAX on the real timestamps. The optimiser's warnings (e.g. no convergence) are
    kept and reported with the model rather than lost in the server log."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = sarimax(series.endog, series.exog, params).fit(disp=False, **fit_args(params))
    messages = list(dict.fromkeys(str(w.message).splitlines()[0] for w in caught))
    fit_info = {"converged": bool(results.mle_retvals.get("converged", True))}
    if messages:
        fit_info["warnings"] = messages[:MAX_WARNINGS]
    exog = list(series.exog.columns) if series.exog is not None else []
    return SarimaxModel(params, index_col, target_col, exog, series.freq, results, fit_info)


def rebuild_model(endog: pd.Series, regressors: pd.DataFrame | None, params: dict[str, Any],
                  coef: np.ndarray, **fields: Any) -> SarimaxModel:
    """The fitted model again, from its data and coefficients: the Kalman smoother with the
    fitted coefficients gives exactly the results the fit did, without optimising again."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = sarimax(endog, regressors, params).smooth(coef, cov_type="none")
    return SarimaxModel(params=params, results=results, **fields)

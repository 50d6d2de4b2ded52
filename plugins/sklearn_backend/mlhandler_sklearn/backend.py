"""Build, fit, predict, score and describe scikit-learn models for mlhandler."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import (
    ClassifierMixin,
    ClusterMixin,
    RegressorMixin,
    TransformerMixin,
    is_classifier,
    is_regressor,
)
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.pipeline import Pipeline

from mlhandler.backend import Prediction, Trained
from mlhandler.errors import BadRequest
from mlhandler.options import ModelOptions
from mlhandler.schema import Schema
from mlhandler.specs import EstimatorSpec
from mlhandler_sklearn.attrs import fitted_attrs
from mlhandler_sklearn.fastpath import fast_transform
from mlhandler_sklearn.features import feature_columns, training_frame
from mlhandler_sklearn.params import coerce_params
from mlhandler_sklearn.pipeline import wrap_estimator

SUPERVISED = ("classifier", "regressor")
PREDICT_OPTIONS = {"_proba"}
DEFAULT_METRIC = {"classifier": "accuracy", "regressor": "r2"}


def kind_of(cls_or_model: Any) -> str:
    if isinstance(cls_or_model, type):
        cls = cls_or_model
        if issubclass(cls, ClassifierMixin):
            return "classifier"
        if issubclass(cls, RegressorMixin):
            return "regressor"
    else:
        cls = type(cls_or_model)
        if is_classifier(cls_or_model):
            return "classifier"
        if is_regressor(cls_or_model):
            return "regressor"
    if issubclass(cls, ClusterMixin):
        return "clusterer"
    if issubclass(cls, TransformerMixin):
        return "transformer"
    return "regressor" if hasattr(cls, "predict") else "transformer"


def final_estimator(model: Any) -> Any:
    return model.steps[-1][1] if isinstance(model, Pipeline) else model


class SklearnBackend:
    def coerce_params(self, spec: EstimatorSpec, raw: dict[str, Any]) -> dict[str, Any]:
        return coerce_params(spec.factory, raw)

    def train(
        self, spec: EstimatorSpec, params: dict[str, Any], data: pd.DataFrame, opts: ModelOptions,
        current: Any = None,
    ) -> Trained:
        # `current` is ignored: scikit-learn models are fitted afresh on the whole cache.
        supervised = spec.kind in SUPERVISED
        target = opts.target_col
        if supervised and not target:
            raise BadRequest(
                f"{spec.name} needs a target column: add ?target_col=COLUMN to the request, or "
                f"PUT ?target_col=COLUMN.",
            )
        if target and target not in data.columns:
            raise BadRequest(
                f"The target column {target!r} is not in the data; its columns are "
                f"{list(map(str, data.columns))}. Set target_col to one of them.",
            )
        features = feature_columns(data, opts)
        frame = training_frame(data, features, target, opts)
        if supervised and frame[target].isna().any():
            raise BadRequest(
                f"The target column {target!r} has {int(frame[target].isna().sum())} missing "
                f"values; set dropna=true or fill them.",
            )
        X = frame[features]
        y = frame[target] if supervised else None
        model, cats = wrap_estimator(spec.factory(**params), X, opts)
        model.fit(X, y)
        estimator = final_estimator(model)
        schema = Schema.from_frame(
            frame, features, target if supervised else None, cats,
            classes=getattr(estimator, "classes_", None) if supervised else None,
        )
        if supervised:
            metric = DEFAULT_METRIC[spec.kind]
            result = {"score": _score(model, X, y, metric), "metric": metric, "rows": len(frame)}
        else:
            result = fitted_attrs(estimator)
        return Trained(model=model, schema=schema, result=result)

    def predict(self, model: Any, data: pd.DataFrame, opts: ModelOptions, schema: Schema | None,
                query: dict[str, Any]) -> Prediction:
        unknown = sorted(set(query) - PREDICT_OPTIONS)
        if unknown:
            raise BadRequest(
                f"scikit-learn models do not take {unknown} when predicting; they take "
                f"{sorted(PREDICT_OPTIONS)}.",
                unknown=unknown,
            )
        X = _features(model, data, schema)
        estimator = final_estimator(model)
        name = type(estimator).__name__
        if not hasattr(model, "predict"):
            if not hasattr(model, "transform"):
                raise BadRequest(
                    f"{name} cannot predict on new data: it has neither predict nor transform. "
                    f"Its fitted attributes are at ?_params.",
                )
            return Prediction(values=_dense(model.transform(X)))
        # The standard pipeline's transform in numpy when it is sure to agree (fastpath.py).
        transformed = fast_transform(model, X)
        final, inputs = (model, X) if transformed is None else (model.steps[-1][1], transformed)
        predicted = _dense(final.predict(inputs))
        proba = _probabilities(final, inputs, name) if _truthy(query.get("_proba")) else None
        target = opts.target_col
        if not target:
            if proba is not None:
                raise BadRequest("_proba needs a target_col, so that rows can carry their probabilities.")
            return Prediction(values=predicted)
        out = data.copy()
        out[target] = predicted
        if proba is not None:
            out = pd.concat([out, proba.set_index(out.index)], axis=1)
        return Prediction(frame=out)

    def score(self, model: Any, data: pd.DataFrame, opts: ModelOptions, schema: Schema | None,
              metric: str | None) -> dict[str, Any]:
        target = opts.target_col
        if not target:
            raise BadRequest("Scoring needs a target column: add ?target_col=COLUMN.")
        if target not in data.columns:
            raise BadRequest(
                f"The data has no target column {target!r} to score against; include it, or "
                f"name another with ?target_col=.",
            )
        data = data[data[target].notna()]
        if data.empty:
            raise BadRequest(f"Every row's target {target!r} is missing; nothing to score.")
        X = _features(model, data, schema)
        y = data[target]
        if schema is not None and schema.target is not None and schema.target.name == target:
            from mlhandler.schema import cast_series

            y = cast_series(y, schema.target)
        estimator = final_estimator(model)
        kind = kind_of(estimator)
        metric = metric or DEFAULT_METRIC.get(kind)
        if metric is None:
            raise BadRequest(f"Choose a metric for a {kind} with ?_metric= (e.g. adjusted_rand_score).")
        _check_target(estimator, kind, y, target, schema)
        return {"score": _score(model, X, y, metric), "metric": metric, "rows": len(data)}

    def model_params(self, model: Any) -> dict[str, Any]:
        from mlhandler.jsonsafe import json_safe

        return json_safe(final_estimator(model).get_params())

    def fitted_attrs(self, model: Any) -> dict[str, Any]:
        return fitted_attrs(final_estimator(model))

    def identify(self, model: Any) -> EstimatorSpec | None:
        estimator = final_estimator(model)
        if not (hasattr(estimator, "get_params") and (hasattr(model, "predict") or hasattr(model, "transform"))):
            return None
        cls = type(estimator)
        return EstimatorSpec(name=cls.__name__, kind=kind_of(cls), factory=cls, backend=self, plugin="sklearn")


def _features(model: Any, data: pd.DataFrame, schema: Schema | None) -> pd.DataFrame:
    if schema is not None:
        names = schema.feature_names
    elif hasattr(model, "feature_names_in_"):
        names = [str(n) for n in model.feature_names_in_]
    else:
        return data
    missing = [n for n in names if n not in data.columns]
    if missing:
        raise BadRequest(
            f"The data is missing column(s) {missing} that the model needs; send: {names}.",
            missing=missing,
        )
    X = data[names]
    if schema is None:
        # A model trained elsewhere: read numbers where the values are numbers.
        X = X.apply(_numeric_if_possible)
    return X


def _numeric_if_possible(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series
    try:
        return pd.to_numeric(series)
    except (ValueError, TypeError):
        return series


def _score(model: Any, X: pd.DataFrame, y: pd.Series, metric: str) -> float:
    if metric not in get_scorer_names():
        raise BadRequest(
            f"Unknown metric {metric!r}; use a scikit-learn scorer name such as accuracy, "
            f"f1_weighted, roc_auc, r2 or neg_mean_absolute_error.",
            metrics=sorted(get_scorer_names()),
        )
    try:
        value = get_scorer(metric)(model, X, y)
    except (AttributeError, TypeError) as exc:
        # e.g. roc_auc on a regressor, accuracy on a transformer: the model lacks the method.
        raise BadRequest(
            f"The metric {metric!r} does not apply to {type(final_estimator(model)).__name__}: "
            f"{exc}. Choose a metric for this kind of model.",
        ) from None
    return float(value)


def _check_target(estimator: Any, kind: str, y: pd.Series, target: str, schema: Schema | None) -> None:
    """A target the model cannot be scored against is named, with what the model predicts."""
    trained = schema.target.name if schema is not None and schema.target is not None else "its target"
    if kind == "classifier" and hasattr(estimator, "classes_"):
        classes = set(np.asarray(estimator.classes_).tolist())
        unknown = [v for v in pd.unique(y) if v not in classes]
        if unknown:
            shown = ", ".join(repr(v) for v in unknown[:5]) + (", …" if len(unknown) > 5 else "")
            raise BadRequest(
                f"Cannot score against {target!r}: it holds {shown}, which are not classes the "
                f"model predicts ({sorted(classes, key=str)} of {trained}). Score against "
                f"{trained} or a column with the same classes.",
                target=target,
            )
    if kind == "regressor" and not pd.api.types.is_numeric_dtype(y):
        raise BadRequest(
            f"Cannot score against {target!r}: a regressor's predictions are numbers, and "
            f"{target!r} is not numeric. Score against {trained} or another numeric column.",
            target=target,
        )


def _dense(values: Any) -> np.ndarray:
    if hasattr(values, "toarray"):  # scipy sparse output (OneHotEncoder, KBinsDiscretizer…)
        values = values.toarray()
    return np.asarray(values)


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    from mlhandler.options import parse_bool

    return parse_bool(value if not isinstance(value, list) else value[-1], "_proba")


def _probabilities(model: Any, X: Any, name: str) -> pd.DataFrame:
    if not hasattr(model, "predict_proba"):
        raise BadRequest(f"{name} does not give probabilities; drop _proba.")
    try:
        proba = model.predict_proba(X)
    except AttributeError as exc:  # e.g. SVC(probability=False) has the method but refuses
        raise BadRequest(f"{name} does not give probabilities here: {exc}") from None
    classes = final_estimator(model).classes_
    return pd.DataFrame(proba, columns=[f"proba_{c}" for c in classes])


BACKEND = SklearnBackend()

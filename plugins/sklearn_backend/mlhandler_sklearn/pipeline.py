"""The preprocessing pipeline of api.md §2.5: impute + one-hot for categorical columns, impute +
scale for numerical ones. When every feature is numeric and neither cats nor nums is set, the
estimator is fitted on the columns as they are, as the reference does."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlhandler.options import ModelOptions


def split_columns(X: pd.DataFrame, opts: ModelOptions) -> tuple[list[str], list[str]]:
    numeric = {c for c in X.columns if pd.api.types.is_numeric_dtype(X[c].dtype)}
    cats = [c for c in X.columns if c in opts.cats or (c not in opts.nums and c not in numeric)]
    nums = [c for c in X.columns if c not in cats]
    return cats, nums


def wrap_estimator(estimator: Any, X: pd.DataFrame, opts: ModelOptions) -> tuple[Any, list[str]]:
    """The model to fit, and the columns treated as categorical."""
    cats, nums = split_columns(X, opts)
    if not opts.pipeline:
        return estimator, []
    if not (opts.cats or opts.nums or cats):
        return estimator, []
    steps = []
    if cats:
        steps.append((
            "cats",
            Pipeline([
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
            ]),
            cats,
        ))
    if nums:
        steps.append((
            "nums",
            Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]),
            nums,
        ))
    transform = ColumnTransformer(steps)
    return Pipeline([("transform", transform), (type(estimator).__name__, estimator)]), cats

"""Predictions through the standard preprocessing pipeline (pipeline.py) with its transform done
in numpy: the same numbers as scikit-learn's, without its per-call overhead.

scikit-learn's `Pipeline.predict` costs several milliseconds per call whatever the number of
rows (about 12 000 Python calls through ColumnTransformer and the imputers' and encoder's input
validation), which bounds how many single-row predictions a process can serve. The fitted
transform is only lookups and arithmetic: fill missing values with the imputers' statistics,
one-hot encode against the encoder's categories (unknown → all zeros), subtract the scaler's
mean and divide by its scale, in the same float64 operations scikit-learn performs.

Used only when it is sure to agree:
  - the model has exactly the structure pipeline.py builds, with default settings;
  - each call's data passes guards (text categories get text, numbers are finite, missing values
    are NaN), otherwise that call goes through scikit-learn, which also raises the right errors;
  - the first call computes both and compares them bit for bit; any difference turns the fast
    path off for that model for good.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


class NotCompilable(Exception):
    pass


class FastTransform:
    def __init__(self, transform: ColumnTransformer):
        self.parts: list[tuple[str, Any]] = []
        for name, step, columns in transform.transformers_:
            if name == "remainder":
                if step != "drop":
                    raise NotCompilable("remainder columns are passed through")
                continue
            if name == "cats":
                self.parts.append(("cats", _CategoryColumns(step, list(columns))))
            elif name == "nums":
                self.parts.append(("nums", _NumberColumns(step, list(columns))))
            else:
                raise NotCompilable(f"unknown part {name!r}")
        if transform.sparse_output_ or getattr(transform, "_sklearn_output_config", None):
            raise NotCompilable("sparse or pandas output")

    def accepts(self, X: pd.DataFrame) -> bool:
        return all(part.accepts(X) for _, part in self.parts)

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        blocks = [part.transform(X) for _, part in self.parts]
        return blocks[0] if len(blocks) == 1 else np.hstack(blocks)


class _CategoryColumns:
    def __init__(self, step: Any, columns: list[str]):
        imputer, encoder = _two_steps(step, SimpleImputer, OneHotEncoder)
        if not (imputer.strategy == "most_frequent" and _is_nan(imputer.missing_values)
                and not imputer.add_indicator):
            raise NotCompilable("imputer settings")
        if not (encoder.handle_unknown == "ignore" and encoder.drop is None
                and encoder.min_frequency is None and encoder.max_categories is None
                and not encoder.sparse_output and encoder.dtype in (np.float64, float)):
            raise NotCompilable("encoder settings")
        fills = list(imputer.statistics_)
        if len(fills) != len(columns) or any(_is_nan(f) for f in fills):
            raise NotCompilable("a column was dropped by the imputer")
        self.columns = columns
        self.fills = fills
        self.lookups: list[dict[Any, int]] = []
        self.text: list[bool] = []
        for categories in encoder.categories_:
            values = categories.tolist()
            text = all(isinstance(v, str) for v in values)
            if not text and not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                raise NotCompilable("categories of mixed types")
            self.text.append(text)
            self.lookups.append({v: i for i, v in enumerate(values)})
        self.width = sum(len(lookup) for lookup in self.lookups)

    def accepts(self, X: pd.DataFrame) -> bool:
        for name, text in zip(self.columns, self.text, strict=True):
            series = X[name]
            if text:
                if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
                    return False
                values = series.to_numpy(dtype=object)
                missing = pd.isna(values)
                # Missing must be NaN (as scikit-learn's imputer sees it), present values text.
                if any(not isinstance(v, float) for v in values[missing]):
                    return False
                if not all(isinstance(v, str) for v in values[~missing]):
                    return False
            elif not (isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf"):
                return False
        return True

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        out = np.zeros((len(X), self.width), dtype=np.float64)
        offset = 0
        rows = np.arange(len(X))
        for name, fill, lookup in zip(self.columns, self.fills, self.lookups, strict=True):
            series = X[name]
            values = series.to_numpy(dtype=object)
            missing = pd.isna(values)
            if missing.any():
                values = values.copy()
                values[missing] = fill
            index = np.fromiter((lookup.get(v, -1) for v in values), dtype=np.int64, count=len(values))
            known = index >= 0
            out[rows[known], offset + index[known]] = 1.0
            offset += len(lookup)
        return out


class _NumberColumns:
    def __init__(self, step: Any, columns: list[str]):
        imputer, scaler = _two_steps(step, SimpleImputer, StandardScaler)
        if not (imputer.strategy == "mean" and _is_nan(imputer.missing_values) and not imputer.add_indicator):
            raise NotCompilable("imputer settings")
        if not (scaler.with_mean and scaler.with_std):
            raise NotCompilable("scaler settings")
        self.fills = np.asarray(imputer.statistics_, dtype=np.float64)
        if len(self.fills) != len(columns) or np.isnan(self.fills).any():
            raise NotCompilable("a column was dropped by the imputer")
        self.columns = columns
        self.mean = scaler.mean_
        self.scale = scaler.scale_

    def accepts(self, X: pd.DataFrame) -> bool:
        block = X[self.columns]
        if not all(isinstance(t, np.dtype) and t.kind in "iufb" for t in block.dtypes):
            return False
        values = block.to_numpy(dtype=np.float64)
        return not np.isinf(values).any()  # scikit-learn refuses infinity: let it say so

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        values = X[self.columns].to_numpy(dtype=np.float64, copy=True)
        missing = np.isnan(values)
        if missing.any():
            values[missing] = np.take(self.fills, np.nonzero(missing)[1])
        values -= self.mean  # the same in-place float64 operations as StandardScaler.transform
        values /= self.scale
        return values


def _two_steps(step: Any, first: type, second: type) -> tuple[Any, Any]:
    if not (isinstance(step, Pipeline) and len(step.steps) == 2
            and type(step.steps[0][1]) is first and type(step.steps[1][1]) is second):
        raise NotCompilable("not the standard steps")
    return step.steps[0][1], step.steps[1][1]


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


# --- which models use it ---------------------------------------------------------------------------
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_OFF = object()


def fast_transform(model: Any, X: pd.DataFrame) -> np.ndarray | None:
    """The model's transform of X computed in numpy, or None: use scikit-learn."""
    entry = _COMPILED.get(model)
    if entry is _OFF:
        return None
    if entry is None:
        return _first_use(model, X)
    return entry.transform(X) if entry.accepts(X) else None


def _first_use(model: Any, X: pd.DataFrame) -> np.ndarray | None:
    with _LOCK:
        try:
            compiled = _compile(model)
            if not compiled.accepts(X):
                return None  # decide on a later call whose data it can check
            fast = compiled.transform(X)
            slow = model.steps[0][1].transform(X)
            same = fast.shape == slow.shape and fast.dtype == slow.dtype and np.array_equal(fast, slow, equal_nan=True)
        except Exception:  # noqa: BLE001 - anything unexpected: scikit-learn does the work
            compiled, same = None, False
        _COMPILED[model] = compiled if same else _OFF
        return fast if same else None


def _compile(model: Any) -> FastTransform:
    if not (isinstance(model, Pipeline) and len(model.steps) == 2
            and type(model.steps[0][1]) is ColumnTransformer):
        raise NotCompilable("not the standard pipeline")
    return FastTransform(model.steps[0][1])

"""Entry point of the sklearn plugin: registers every scikit-learn estimator by class name."""

from __future__ import annotations

from mlhandler import EstimatorSpec, hookimpl

TYPE_FILTER = ("classifier", "regressor", "cluster", "transformer")


@hookimpl
def register_estimators() -> list[EstimatorSpec]:
    # Imported here, not at module level, so that plugin discovery stays fast.
    from mlhandler_sklearn.backend import BACKEND, kind_of
    from mlhandler_sklearn.discovery import sklearn_estimators

    return [
        EstimatorSpec(name=name, kind=kind_of(cls), factory=cls, backend=BACKEND)
        for name, cls in sklearn_estimators(list(TYPE_FILTER))
    ]

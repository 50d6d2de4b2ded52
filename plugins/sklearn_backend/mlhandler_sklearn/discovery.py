"""The estimators scikit-learn lists, found as `sklearn.utils.all_estimators` finds them, without
importing what it walks through on the way.

`all_estimators()` walks every sklearn package, importing each one to look inside, and only then
skips those it ignores. One of them, `sklearn.externals.array_api_compat.torch`, imports torch
whenever torch is installed (the NLP plugin installs it): about 300 MB and 2 s in every server
process, for no estimator. This walk skips the ignored and private packages before importing.
The plugin's tests check that it finds exactly what `all_estimators()` finds.
"""

from __future__ import annotations

import inspect
import pkgutil
import warnings
from importlib import import_module

# sklearn.utils.discovery's own list of module names that hold no public estimators.
IGNORED = {"tests", "setup", "estimator_checks", "externals", "experimental", "conftest"}


def sklearn_estimators(type_filter: list[str]) -> list[tuple[str, type]]:
    import sklearn
    from sklearn.base import (
        BaseEstimator,
        ClassifierMixin,
        ClusterMixin,
        RegressorMixin,
        TransformerMixin,
    )

    mixins = {"classifier": ClassifierMixin, "regressor": RegressorMixin,
              "transformer": TransformerMixin, "cluster": ClusterMixin}
    wanted = tuple(mixins[name] for name in type_filter)
    found: set[tuple[str, type]] = set()
    with warnings.catch_warnings():  # as all_estimators: deprecation warnings at import time
        warnings.simplefilter("ignore", FutureWarning)
        for module in _public_modules(sklearn.__path__, "sklearn."):
            for name, cls in inspect.getmembers(module, inspect.isclass):
                if (not name.startswith("_") and issubclass(cls, BaseEstimator)
                        and name != "BaseEstimator" and not getattr(cls, "__abstractmethods__", None)
                        and issubclass(cls, wanted)):
                    found.add((name, cls))
    return sorted(found, key=lambda item: item[0])


def _public_modules(path: list[str], prefix: str):
    for info in pkgutil.iter_modules(path, prefix):
        last = info.name.rsplit(".", 1)[-1]
        if last.startswith("_") or last in IGNORED:
            continue
        module = import_module(info.name)
        yield module
        if info.ispkg:
            yield from _public_modules(module.__path__, info.name + ".")

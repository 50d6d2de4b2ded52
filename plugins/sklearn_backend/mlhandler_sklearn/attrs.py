"""Fitted attributes (`coef_`, `classes_`, `tree_`, …) as JSON-safe values for `_params`."""

from __future__ import annotations

from typing import Any

from mlhandler.jsonsafe import json_safe


def fitted_attrs(estimator: Any) -> dict[str, Any]:
    attrs = {}
    for name, value in vars(estimator).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        attrs[name] = _describe(value)
    return attrs


def _describe(value: Any) -> Any:
    # A fitted tree's low-level Tree object: summarise it rather than repr() it.
    if type(value).__name__ == "Tree" and hasattr(value, "node_count"):
        return {
            "node_count": int(value.node_count),
            "max_depth": int(value.max_depth),
            "n_leaves": int(value.n_leaves),
        }
    if isinstance(value, list | tuple) and value and type(value[0]).__name__ == "Tree":
        return [_describe(v) for v in value]
    return json_safe(value)

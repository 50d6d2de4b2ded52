"""scikit-learn classes and parameters mlhandler refuses, each with the reason a user is told.

Every estimator stays registered (so its name is recognised); these are refused with a 400 that
says why, instead of failing later with an obscure error.
"""

from __future__ import annotations

from typing import Any

from mlhandler.errors import BadRequest

TARGET_ONLY = "transforms target labels, not a table of features"
NEEDS_DICTS = "takes dicts or token lists, not a table of features"
NEEDS_TEXT = "takes one column of raw text, not a table of features"

UNSUPPORTED_CLASSES: dict[str, str] = {
    "LabelEncoder": TARGET_ONLY,
    "LabelBinarizer": TARGET_ONLY,
    "MultiLabelBinarizer": TARGET_ONLY,
    "DictVectorizer": NEEDS_DICTS,
    "FeatureHasher": NEEDS_DICTS,
    "CountVectorizer": NEEDS_TEXT,
    "TfidfVectorizer": NEEDS_TEXT,
    "HashingVectorizer": NEEDS_TEXT,
}

# Parameters that make scikit-learn read or write files: a request must not choose paths.
FILESYSTEM_PARAMS: dict[str, Any] = {"memory": None, "input": "content"}


def check_class(cls: type) -> None:
    reason = UNSUPPORTED_CLASSES.get(cls.__name__)
    if reason:
        raise BadRequest(f"{cls.__name__} is not served by mlhandler: it {reason}.", cls=cls.__name__)


def check_safe(cls: type, params: dict[str, Any]) -> None:
    for name, allowed in FILESYSTEM_PARAMS.items():
        if name in params and params[name] != allowed:
            raise BadRequest(
                f"{cls.__name__}: {name}={params[name]!r} would make the server read or write "
                f"files; only {name}={allowed!r} is allowed.",
                param=name,
            )


def required_estimators(cls: type, defaults: dict[str, Any], params: dict[str, Any]) -> None:
    """Meta-estimators (VotingClassifier, RFE, …) need estimator objects, which text can't give."""
    needs = [n for n in ("estimator", "estimators", "base_estimator", "transformers")
             if n in defaults and defaults[n] is None and n not in params]
    given = [n for n in ("estimator", "estimators", "base_estimator", "transformers") if n in params]
    if (needs and _requires(cls, needs)) or given:
        names = given or needs
        raise BadRequest(
            f"{cls.__name__} needs estimator objects for {names}, which cannot be given over HTTP "
            f"or YAML; use a plain estimator class instead.",
            cls=cls.__name__,
        )


def _requires(cls: type, names: list[str]) -> bool:
    import inspect

    signature = inspect.signature(cls.__init__)
    return any(
        name in signature.parameters and signature.parameters[name].default is inspect.Parameter.empty
        for name in names
    )

"""The parameters of SentimentAnalysis and NER: where the model comes from, and training settings.

Values arrive as text (PUT ?epochs=3) or typed (YAML); `coerce_params` validates and casts them
all, and names every bad one in a single 400.
"""

from __future__ import annotations

import math
from typing import Any

from mlhandler.errors import BadRequest

DEFAULT_MODELS = {
    "SentimentAnalysis": "distilbert-base-uncased-finetuned-sst-2-english",
    "NER": "dbmdz/bert-large-cased-finetuned-conll03-english",
}
SOURCE_PARAMS = ("model", "tokenizer")
# Training settings; batch_size and max_length also bound inference.
TRAINING_DEFAULTS: dict[str, Any] = {
    "epochs": 3,
    "learning_rate": 5e-5,
    "batch_size": 16,
    "max_length": 512,
    "seed": 0,
}
# name: (type, lowest, highest)
LIMITS: dict[str, tuple[type, float, float]] = {
    "epochs": (int, 1, 1000),
    "learning_rate": (float, 0.0, 1.0),
    "batch_size": (int, 1, 4096),
    "max_length": (int, 8, 1_000_000),
    "seed": (int, 0, 2**32 - 1),
}
ALLOWED = SOURCE_PARAMS + tuple(TRAINING_DEFAULTS)
NONE_WORDS = {"", "none", "null"}


def coerce_params(class_name: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The params as given, cast to their types. Unknown names and bad values are one 400."""
    unknown = sorted(k for k in raw if k not in ALLOWED)
    if unknown:
        raise BadRequest(
            f"{class_name} does not take {unknown}; its parameters are {list(ALLOWED)}.",
            unknown=unknown, allowed=list(ALLOWED),
        )
    out: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, value in raw.items():
        if isinstance(value, list):  # a key repeated in the query string: the last one wins
            value = value[-1] if value else None
        try:
            if name in SOURCE_PARAMS:
                text = _source(value, name)
                if text is not None:
                    out[name] = text
            else:
                out[name] = _number(name, value)
        except ValueError as exc:
            problems[name] = str(exc)
    if problems:
        listed = "; ".join(f"{k}={raw[k]!r}: {why}" for k, why in problems.items())
        raise BadRequest(f"Bad {class_name} parameter(s): {listed}.", invalid=problems)
    return out


def settings(class_name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Every parameter, defaults filled in: what a model is built and trained with."""
    full = {"model": DEFAULT_MODELS[class_name], **TRAINING_DEFAULTS, **params}
    full.setdefault("tokenizer", full["model"])
    return {name: full[name] for name in ALLOWED}


def _source(value: Any, name: str) -> str | None:
    if value is None:
        if name == "model":
            raise ValueError("give a model name from the hub or a local folder")
        return None
    if not isinstance(value, str):
        raise ValueError("must be text: a hub model name or a local folder")
    text = value.strip()
    if text.lower() in NONE_WORDS:
        if name == "model":
            raise ValueError("give a model name from the hub or a local folder")
        return None  # tokenizer: the model's own
    return text


def _number(name: str, value: Any) -> int | float:
    kind, low, high = LIMITS[name]
    expected = "a whole number" if kind is int else "a number"
    if isinstance(value, bool) or value is None:
        raise ValueError(f"must be {expected}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be {expected}") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    if kind is int:
        if not number.is_integer():
            raise ValueError("must be a whole number")
        number = int(number)
    if kind is float and not low < number <= high:
        raise ValueError(f"must be more than {low:g} and at most {high:g}")
    if kind is int and not low <= number <= high:
        raise ValueError(f"must be between {int(low)} and {int(high)}")
    return number

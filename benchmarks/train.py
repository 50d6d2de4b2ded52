"""(c) Train over REST against a raw scikit-learn `fit` of the same estimator on the same rows."""

from __future__ import annotations

import io
import json
import statistics
import time

import pandas as pd
from sklearn.base import clone

from servers import request


def rest_train(port: int, path: str, body: bytes | None) -> float:
    """POST ?_action=train, with a CSV body (which replaces the cache) or on the cache."""
    content_type = "text/csv" if body else None
    status, answer, seconds = request("POST", port, f"{path}?_action=train", body, content_type)
    if status != 200 or "score" not in json.loads(answer):
        raise RuntimeError(f"train answered {status}: {answer[:500]!r}")
    return seconds


def raw_fit(model, data: bytes | pd.DataFrame, features: list[str], target: str,
            dropna: bool, drop_duplicates: bool) -> float:
    """What the server does to train, done directly: (read the CSV,) keep the used columns, drop
    missing and duplicate rows as the options say, and fit a fresh clone of the served model."""
    start = time.perf_counter()
    frame = pd.read_csv(io.BytesIO(data), engine="pyarrow") if isinstance(data, bytes) else data
    frame = frame[features + [target]]
    if dropna:
        frame = frame.dropna()
    if drop_duplicates:
        frame = frame.drop_duplicates()
    clone(model).fit(frame[features], frame[target])
    return time.perf_counter() - start


def run_train(port: int, path: str, model, csv_bytes: bytes, features: list[str], target: str,
              opts: dict, repeat: int, log=print) -> dict[str, dict[str, float]]:
    """Median seconds over `repeat` runs (after one unmeasured warm-up of each), for training on
    a CSV body and on the cache, each against the raw fit it amounts to."""
    frame = pd.read_csv(io.BytesIO(csv_bytes), engine="pyarrow")
    cases = {"body": (csv_bytes, csv_bytes), "cache": (None, frame)}
    fit_opts = {"dropna": opts.get("dropna", True), "drop_duplicates": opts.get("drop_duplicates", True)}
    results = {}
    for name, (body, local_data) in cases.items():
        rest_train(port, path, body)
        raw_fit(model, local_data, features, target, **fit_opts)
        http_times, local_times = [], []
        for _ in range(repeat):
            http_times.append(rest_train(port, path, body))
            local_times.append(raw_fit(model, local_data, features, target, **fit_opts))
        results[name] = {"http": statistics.median(http_times), "local": statistics.median(local_times)}
        log(f"train ({name}): over REST {results[name]['http'] * 1000:.1f} ms, "
            f"raw fit {results[name]['local'] * 1000:.1f} ms")
    return results

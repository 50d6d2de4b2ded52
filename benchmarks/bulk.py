"""(b) Bulk predict over HTTP, end to end, against parsing the same bytes and predicting with the
same model in this process."""

from __future__ import annotations

import io
import json
import statistics
import time
from pathlib import Path

import pandas as pd

from servers import request

FORMATS = {"json": "application/json", "csv": "text/csv"}


def sample_rows(csv_path: Path, features: list[str], rows: int, seed: int = 0) -> pd.DataFrame:
    """`rows` rows of the features, drawn with replacement (a fixed seed) from the CSV."""
    data = pd.read_csv(csv_path)
    return data[features].sample(n=rows, replace=True, random_state=seed).reset_index(drop=True)


def encode(frame: pd.DataFrame, kind: str) -> bytes:
    if kind == "json":
        return frame.to_json(orient="records").encode()  # NaN is written as null
    return frame.to_csv(index=False).encode()


def parse(body: bytes, kind: str) -> pd.DataFrame:
    """What a competent user would call to read these bytes."""
    if kind == "json":
        return pd.read_json(io.BytesIO(body), orient="records")
    return pd.read_csv(io.BytesIO(body), engine="pyarrow")


def in_process(model, body: bytes, kind: str) -> tuple[float, list]:
    start = time.perf_counter()
    predicted = model.predict(parse(body, kind))
    return time.perf_counter() - start, predicted.tolist()


def end_to_end(port: int, path: str, body: bytes, kind: str) -> tuple[float, bytes]:
    """POST the body for predictions; seconds from sending until the whole answer is read."""
    status, answer, seconds = request("POST", port, f"{path}?_action=predict", body, FORMATS[kind])
    if status != 200:
        raise RuntimeError(f"bulk {kind} predict answered {status}: {answer[:500]!r}")
    return seconds, answer


def predictions(answer: list, target: str | None) -> list:
    """The predicted values of an answer: records carrying `target`, or a bare list."""
    if answer and isinstance(answer[0], dict):
        return [row.get(target) for row in answer]
    return answer


def run_bulk(port: int, path: str, model, frame: pd.DataFrame, target: str | None,
             repeat: int, log=print) -> dict[str, dict[str, float]]:
    """Median seconds end to end and in process, per format, over `repeat` runs (after one
    unmeasured warm-up with the first 1 000 rows). Every answer must hold one prediction per row,
    equal to the in-process one."""
    results = {}
    for kind in FORMATS:
        body = encode(frame, kind)
        small = encode(frame.head(1000), kind)
        end_to_end(port, path, small, kind)
        in_process(model, small, kind)
        http_times, local_times = [], []
        for _ in range(repeat):
            seconds, answer = end_to_end(port, path, body, kind)
            http_times.append(seconds)
            local, expected = in_process(model, body, kind)
            local_times.append(local)
            got = predictions(json.loads(answer), target)
            if len(got) != len(frame):
                raise RuntimeError(f"bulk {kind}: {len(got)} predictions for {len(frame)} rows")
            differ = sum(a != b for a, b in zip(got, expected, strict=True))
            if differ:
                log(f"WARNING: bulk {kind}: {differ} of {len(got)} predictions differ from in-process")
        results[kind] = {
            "http": statistics.median(http_times),
            "local": statistics.median(local_times),
            "mb": len(body) / 1e6,
        }
        log(f"bulk {kind} ({len(body) / 1e6:.1f} MB in, {len(answer) / 1e6:.1f} MB out): end to end {results[kind]['http']:.3f} s, "
            f"in process {results[kind]['local']:.3f} s")
    return results

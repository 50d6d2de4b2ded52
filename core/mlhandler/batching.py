"""Adaptive micro-batching: concurrent GET predictions on one endpoint become one `predict` call.

A model's per-call overhead dwarfs its per-row cost (a scikit-learn pipeline takes about as long
for 1 row as for 64), so under load merging requests multiplies throughput. The batch size adapts
by itself: requests queue while a batch runs in a worker thread, and the next batch is whatever
queued meanwhile. With `max_wait_ms: 0` (the default) a lone request is never delayed.

Only requests that would be answered identically together and apart are merged: the same columns
with the same kinds of values and the same `_` options. If a merged batch fails, or its output
does not have one row per input row (a transform that drops rows), each request is run on its own,
so an error reaches only the request that caused it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from starlette.concurrency import run_in_threadpool

from mlhandler.backend import Prediction
from mlhandler.config import BatchSettings
from mlhandler.jsonsafe import dumps, frame_rows_json

Columns = dict[str, list[Any]]
RunPrediction = Callable[[pd.DataFrame, dict[str, Any]], Prediction]


@dataclass
class Pending:
    columns: Columns
    rows: int
    future: asyncio.Future = field(repr=False)


class PredictionBatcher:
    def __init__(self, run: RunPrediction, settings: BatchSettings):
        self.run = run
        self.settings = settings
        self.queues: dict[tuple, list[Pending]] = {}
        self.draining = False
        self.batches = 0  # how many predict calls were made (for tests and benchmarks)

    async def predict_json(self, columns: Columns, query: dict[str, Any]) -> bytes:
        """The JSON answer for these rows, computed alone or merged with concurrent requests."""
        rows = len(next(iter(columns.values()))) if columns else 0
        loop = asyncio.get_running_loop()
        pending = Pending(columns, rows, loop.create_future())
        self.queues.setdefault(_key(columns, query), []).append(pending)
        if not self.draining:
            self.draining = True
            loop.create_task(self._drain())
        return await pending.future

    async def _drain(self) -> None:
        try:
            while self.queues:
                if self.settings.max_wait_ms and self._queued_rows() < self.settings.max_batch_size:
                    await asyncio.sleep(self.settings.max_wait_ms / 1000)
                key = next(iter(self.queues))
                batch = self._take(key)
                outcomes = await run_in_threadpool(self._answer, batch, dict(key[1]))
                for pending, (ok, value) in zip(batch, outcomes, strict=True):
                    if pending.future.done():  # the client went away
                        continue
                    if ok:
                        pending.future.set_result(value)
                    else:
                        pending.future.set_exception(value)
        finally:
            self.draining = False

    def _queued_rows(self) -> int:
        return sum(p.rows for queue in self.queues.values() for p in queue)

    def _take(self, key: tuple) -> list[Pending]:
        queue = self.queues[key]
        batch, rows = [], 0
        while queue and (not batch or rows + queue[0].rows <= self.settings.max_batch_size):
            pending = queue.pop(0)
            batch.append(pending)
            rows += pending.rows
        if not queue:
            del self.queues[key]
        return batch

    # --- in a worker thread ----------------------------------------------------------------------
    def _answer(self, batch: list[Pending], query: dict[str, Any]) -> list[tuple[bool, Any]]:
        if len(batch) > 1:
            try:
                return self._together(batch, query)
            except Exception:  # noqa: BLE001 - answer each request alone: its own result or error
                pass
        return [self._alone(pending, query) for pending in batch]

    def _together(self, batch: list[Pending], query: dict[str, Any]) -> list[tuple[bool, Any]]:
        names = list(batch[0].columns)
        merged = {name: [v for pending in batch for v in pending.columns[name]] for name in names}
        total = sum(pending.rows for pending in batch)
        self.batches += 1
        prediction = self.run(pd.DataFrame(merged), query)
        outputs = _rows_json(prediction)
        if len(outputs) != total:
            raise ValueError("the prediction does not have one row per input row")
        answers, start = [], 0
        for pending in batch:
            answers.append((True, b"[" + b",".join(outputs[start:start + pending.rows]) + b"]"))
            start += pending.rows
        return answers

    def _alone(self, pending: Pending, query: dict[str, Any]) -> tuple[bool, Any]:
        try:
            self.batches += 1
            prediction = self.run(pd.DataFrame(pending.columns), query)
        except Exception as exc:  # noqa: BLE001 - delivered to the request that caused it
            return False, exc
        return True, dumps(prediction.payload)


def _rows_json(prediction: Prediction) -> list[bytes]:
    """Each output row's JSON, exactly as the whole answer's JSON would hold it."""
    if prediction.frame is not None:
        return frame_rows_json(prediction.frame)
    values = prediction.values
    return [dumps(value) for value in (values.tolist() if hasattr(values, "tolist") else values)]


def _key(columns: Columns, query: dict[str, Any]) -> tuple:
    """Requests merge only when they share columns, value kinds and options, so that a merged
    column has the dtype each request's column would have had alone."""
    shape = tuple((name, _kinds(values)) for name, values in columns.items())
    options = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in query.items()))
    return shape, options


def _kinds(values: list[Any]) -> frozenset[type]:
    return frozenset(map(type, values))

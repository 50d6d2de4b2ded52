"""`mlhandler serve --workers 2`: two processes on one config_dir take turns changing it, and each
serves what the other committed.

A real server in a subprocess; every request opens a fresh connection, so the kernel hands them
to either worker, and the `X-MLHandler-Worker` header says which one answered."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx2
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from tests.helpers import (
    FEMALE_ROW,
    ROW,
    TITANIC_YAML,
    csv_text,
    free_port,
    json_body,
    reference_model,
    wait_for,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture
def server(tmp_path: Path):
    shutil.copy(DATA / "titanic.csv", tmp_path / "titanic.csv")
    (tmp_path / "app.yaml").write_text(TITANIC_YAML)
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "mlhandler", "serve", str(tmp_path / "app.yaml"), "--port", str(port),
         "--workers", "2"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Both workers are up when requests on fresh connections have met two different pids.
        seen: set[str] = set()
        assert wait_for(lambda: _worker_seen(base, seen) and len(seen) == 2, 180), (
            (tmp_path / "server.log").read_text()
        )
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def _worker_seen(base: str, seen: set[str]) -> bool:
    try:
        res = httpx2.get(f"{base}/titanic?_params", timeout=10)
    except httpx2.TransportError:
        return False
    if res.status_code == 200:
        seen.add(res.headers["x-mlhandler-worker"])
    return True


def answers(base: str, query: str, count: int) -> dict[str, set]:
    """`count` predictions on fresh connections: worker pid → the predictions it gave."""
    by_worker: dict[str, set] = {}
    for _ in range(count):
        res = httpx2.get(f"{base}/titanic?{query}", timeout=30)
        assert res.status_code == 200, res.text
        survived = tuple(row["Survived"] for row in res.json())
        by_worker.setdefault(res.headers["x-mlhandler-worker"], set()).add(survived)
    return by_worker


def test_every_worker_serves_the_model_another_trained(server, titanic):
    query = "&".join(f"{a}&{b}" for a, b in zip(ROW.split("&"), FEMALE_ROW.split("&"), strict=True))
    rows = pd.DataFrame([dict(p.split("=") for p in ROW.split("&")),
                         dict(p.split("=") for p in FEMALE_ROW.split("&"))])
    rows = rows.astype({c: titanic[c].dtype for c in rows.columns})
    before = tuple(reference_model(titanic, LogisticRegression(), cats=["Embarked", "Sex", "Pclass"])
                   .predict(rows).tolist())
    flipped = titanic.assign(Survived=1 - titanic.Survived)
    after = tuple(reference_model(flipped, LogisticRegression(), cats=["Embarked", "Sex", "Pclass"])
                  .predict(rows).tolist())
    assert before != after, "the flipped model must answer differently, or the test proves nothing"
    assert all(found == {before} for found in answers(server, query, 20).values())

    # Train through whichever worker takes the connection; the other one must catch up.
    res = httpx2.post(f"{server}/titanic?_action=train", content=csv_text(flipped),
                      headers={"Content-Type": "text/csv"}, timeout=120)
    assert res.status_code == 200, res.text
    trainer = res.headers["x-mlhandler-worker"]

    def caught_up() -> bool:
        found = answers(server, query, 10)
        return len(found) == 2 and all(values == {after} for values in found.values())

    # Workers check config_dir every 0.25 s; the bound here is generous for a loaded CI machine.
    assert wait_for(caught_up, 20), answers(server, query, 10)
    other = [w for w in answers(server, query, 20) if w != trainer]
    assert other, "only the training worker answered: the test did not reach the other one"

    # PUT through one worker is seen by both: the configuration they describe agrees.
    res = httpx2.put(f"{server}/titanic?C=0.25", timeout=30)
    assert res.status_code == 200, res.text

    def params_agree() -> bool:
        seen = {}
        for _ in range(10):
            r = httpx2.get(f"{server}/titanic?_params", timeout=30)
            seen[r.headers["x-mlhandler-worker"]] = r.json()["params"]["params"].get("C")
        return len(seen) == 2 and set(seen.values()) == {0.25}

    assert wait_for(params_agree, 20)


def test_appends_through_both_workers_are_all_kept(server, titanic):
    res = httpx2.delete(f"{server}/titanic?_cache", timeout=30)
    assert res.status_code == 200, res.text
    batches = [titanic.iloc[i * 5:(i + 1) * 5].assign(PassengerId=range(10_000 + i * 5, 10_005 + i * 5))
               for i in range(16)]
    errors: list[str] = []

    def append(chunk: list[pd.DataFrame]) -> None:
        for frame in chunk:
            r = httpx2.post(f"{server}/titanic?_action=append", **json_body(frame), timeout=120)
            if r.status_code != 200:
                errors.append(r.text)

    threads = [threading.Thread(target=append, args=(batches[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert errors == []

    expected = sorted(pid for frame in batches for pid in frame.PassengerId)

    def cache_complete() -> bool:
        seen = {}
        for _ in range(10):
            r = httpx2.get(f"{server}/titanic?_cache", timeout=30)
            seen[r.headers["x-mlhandler-worker"]] = sorted(row["PassengerId"] for row in r.json())
        return len(seen) == 2 and all(ids == expected for ids in seen.values())

    # No append was lost to another process's concurrent one, and both workers see them all.
    assert wait_for(cache_complete, 20)

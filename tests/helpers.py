"""Constants and helpers shared by several test modules (fixtures live in conftest.py).

Import with `from tests.helpers import ...`.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from contextlib import contextmanager

import joblib
import pandas as pd
import uvicorn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

# --- the titanic seed (api.md §2.5) ----------------------------------------------------------------
FEATURES = ["Pclass", "Sex", "Age", "SibSp", "Parch", "Fare", "Embarked"]
CATS = ["Pclass", "Sex", "Embarked"]
NUMS = ["Age", "SibSp", "Parch", "Fare"]
TARGET = "Survived"
EXCLUDE = ["PassengerId", "Ticket", "Cabin", "Name"]

# One passenger as a GET predict query, and a second one likely to get the other prediction.
ROW = "Sex=male&Age=22&SibSp=1&Parch=0&Fare=7.25&Pclass=3&Embarked=S"
FEMALE_ROW = "Sex=female&Age=30&SibSp=0&Parch=0&Fare=80&Pclass=1&Embarked=C"

# --- YAML ----------------------------------------------------------------------------------------
TITANIC_YAML = """
url:
  titanic:
    pattern: /$YAMLURL/titanic
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/titanic
      data:
        url: $YAMLPATH/titanic.csv
      model:
        class: LogisticRegression
        target_col: Survived
        exclude: [PassengerId, Ticket, Cabin, Name]
        cats: [Embarked, Sex, Pclass]
"""

BLANK_YAML = """
url:
  blank:
    pattern: /blank
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/blank
"""

IRIS_YAML = """
url:
  iris:
    pattern: /iris
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/iris
      data:
        url: $YAMLPATH/iris.csv
"""


# --- local reference model -----------------------------------------------------------------------
def local_pipeline(titanic: pd.DataFrame) -> Pipeline:
    """The seed model, built and fitted independently with scikit-learn (api.md §2.5)."""
    frame = titanic[FEATURES + [TARGET]].dropna().drop_duplicates()
    cats = Pipeline([
        ("impute", SimpleImputer(strategy="most_frequent")),
        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
    ])
    nums = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())])
    model = Pipeline([
        ("transform", ColumnTransformer([("cats", cats, CATS), ("nums", nums, NUMS)])),
        ("lr", LogisticRegression()),
    ])
    return model.fit(frame[FEATURES], frame[TARGET])


# --- request bodies ------------------------------------------------------------------------------
def csv_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False)


def csv_body(frame: pd.DataFrame) -> dict:
    """Keyword arguments for client.post sending `frame` as CSV."""
    return {"content": csv_text(frame).encode(), "headers": {"Content-Type": "text/csv"}}


def json_body(frame: pd.DataFrame) -> dict:
    """Keyword arguments for client.post sending `frame` as JSON records (NaN as null), which
    TestClient's `json=` refuses to encode."""
    return {
        "content": frame.to_json(orient="records").encode(),
        "headers": {"Content-Type": "application/json"},
    }


def post_csv(client, url: str, frame: pd.DataFrame):
    return client.post(url, **csv_body(frame))


# --- reading responses ---------------------------------------------------------------------------
def assert_error(res, status: int, *words: str) -> dict:
    """A JSON error with the given 4xx status whose message names every word; returns the body."""
    assert res.status_code == status, f"{res.status_code}: {res.text}"
    assert res.headers["content-type"].startswith("application/json"), res.headers["content-type"]
    body = res.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]
    for word in words:
        assert word.lower() in body["error"].lower(), f"{word!r} not in {body['error']!r}"
    return body


def downloaded_model(client, path: str = "/titanic"):
    res = client.get(f"{path}?_download")
    assert res.status_code == 200, res.text
    return joblib.load(io.BytesIO(res.content))


def cache_frame(client, path: str = "/titanic") -> pd.DataFrame:
    res = client.get(f"{path}?_cache")
    assert res.status_code == 200, res.text
    return pd.DataFrame(res.json())


def survived(response) -> list:
    assert response.status_code == 200, response.text
    return [row["Survived"] for row in response.json()]


# --- servers -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, seconds: float = 30) -> bool:
    """Poll `condition` until it holds or `seconds` pass; a bounded wait, not a timing check."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@contextmanager
def live_server(app):
    """Serve `app` with uvicorn on a free local port in a background thread; yields the base URL
    and the uvicorn server."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for(lambda: server.started or not thread.is_alive(), 60), "uvicorn did not start"
    assert server.started, "uvicorn stopped before it started"
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(60)

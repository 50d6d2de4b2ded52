"""Constants and helpers shared by several test modules (fixtures live in conftest.py).

Import with `from tests.helpers import ...`.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Sequence
from contextlib import contextmanager
from urllib.parse import parse_qs

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


def reference_model(
    data: pd.DataFrame,
    estimator,
    target: str | None = TARGET,
    exclude: Sequence[str] = EXCLUDE,
    cats: Sequence[str] = (),
    nums: Sequence[str] = (),
):
    """`estimator` fitted independently with scikit-learn as api.md §2.5 describes, for any
    options: features are the columns left after the target and `exclude`; training rows are the
    used columns with dropna + drop_duplicates; `cats` and non-numeric columns not in `nums` are
    imputed + one-hot encoded, the other features imputed + scaled; a bare estimator when every
    feature is numeric and neither `cats` nor `nums` is given."""
    features = [c for c in data.columns if c != target and c not in exclude]
    frame = data[features + ([target] if target else [])].dropna().drop_duplicates()
    X = frame[features]
    numeric = {c for c in features if pd.api.types.is_numeric_dtype(X[c].dtype)}
    cat_cols = [c for c in features if c in cats or (c not in nums and c not in numeric)]
    num_cols = [c for c in features if c not in cat_cols]
    model = estimator
    if cats or nums or cat_cols:
        parts = []
        if cat_cols:
            parts.append(("cats", Pipeline([
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
            ]), cat_cols))
        if num_cols:
            parts.append(("nums", Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]),
                          num_cols))
        model = Pipeline([("transform", ColumnTransformer(parts)), ("estimator", estimator)])
    return model.fit(X, frame[target] if target else None)


def query_rows(query: str, training: pd.DataFrame) -> pd.DataFrame:
    """The rows of a GET predict query (a repeated key gives one value per row), cast to the
    dtypes the columns have in `training`, as api.md §2.1 says GET values are."""
    frame = pd.DataFrame(parse_qs(query, keep_blank_values=True))
    return frame.astype({c: training[c].dtype for c in frame.columns})


def expected_survived(titanic: pd.DataFrame, query: str, model=None) -> list:
    """What the seed model (or `model`), fitted locally, predicts for a GET predict query."""
    model = model if model is not None else local_pipeline(titanic)
    return model.predict(query_rows(query, titanic)).tolist()


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

"""Fixtures for the sarimax plugin's tests: statsmodels' interest/inflation data (quarterly,
1972-04-01 to 1998-10-01: Dp = inflation, R = interest rate), apps built from YAML in tmp_path,
and reference fits made with statsmodels directly, to compare the endpoints against.

Self-contained (the plugin is its own distribution): nothing here imports from the core's tests.
"""

from __future__ import annotations

import shutil
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from starlette.testclient import TestClient

from mlhandler.app import build_app
from mlhandler.config import load_config
from mlhandler.plugins import get_plugin_manager

DATA = Path(__file__).parent / "data"
FREQ = "QS-JAN"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def inflation() -> pd.DataFrame:
    """Columns Dp, R, index (datetime64), in file order."""
    return pd.read_csv(DATA / "inflation.csv", parse_dates=["index"])


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder holding a copy of the dataset, where tests write their YAML."""
    shutil.copy(DATA / "inflation.csv", tmp_path / "inflation.csv")
    return tmp_path


def sarimax_only():
    """A plugin manager with the core and this plugin only: these tests exercise SARIMAX, not
    the other installed plugins (test_sarimax_entry_point covers the installed set)."""
    from mlhandler_sarimax import hooks

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(hooks, name="sarimax")
    pm.check_pending()
    return pm


@pytest.fixture
def make_client(workdir: Path) -> Callable[..., TestClient]:
    """`make_client(yaml_text, name="app.yaml", pm=sarimax_only())`: write the YAML into
    `workdir`, build the app and return a TestClient. Calling it again with the same YAML builds
    a fresh app on the same config_dir: a restart."""
    clients = []

    def make(yaml_text: str, name: str = "app.yaml", pm=None) -> TestClient:
        path = workdir / name
        path.write_text(textwrap.dedent(yaml_text))
        client = TestClient(build_app(load_config(path), pm=pm or sarimax_only()))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


BLANK_YAML = """
url:
  sarimax:
    pattern: /sarimax
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/sarimax
"""


@pytest.fixture
def blank_yaml() -> str:
    return BLANK_YAML


@pytest.fixture
def blank(make_client) -> TestClient:
    """/sarimax: a blank-slate endpoint, configured and trained over HTTP."""
    return make_client(BLANK_YAML)


def _epoch_records(frame: pd.DataFrame) -> str:
    """JSON records with timestamps as epoch milliseconds: what pandas' to_json sends."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3 warns that the default will become ISO text
        return frame.to_json(orient="records", date_format="epoch")


def _iso_records(frame: pd.DataFrame) -> list[dict]:
    out = frame.copy()
    out["index"] = out["index"].dt.strftime("%Y-%m-%d")
    return out.to_dict("records")


def _train_over_http(client: TestClient, frame: pd.DataFrame, put: str) -> dict:
    """PUT the configuration, append `frame` as epoch-ms records, train; the train answer."""
    response = client.put(f"/sarimax?{put}")
    assert response.status_code == 200, response.text
    response = client.post("/sarimax?_action=append", content=_epoch_records(frame), headers=JSON)
    assert response.status_code == 200, response.text
    response = client.post("/sarimax?_action=train")
    assert response.status_code == 200, response.text
    return response.json()


def _reference_fit(frame: pd.DataFrame, target: str = "R", exog: list[str] | None = None, **params):
    """The same model fitted with statsmodels directly, on the same timestamps."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    series = frame.set_index("index")
    index = pd.DatetimeIndex(series.index, freq=FREQ)
    endog = pd.Series(series[target].to_numpy(), index=index)
    regressors = pd.DataFrame(series[exog].to_numpy(), index=index, columns=exog) if exog else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SARIMAX(endog, exog=regressors, **params).fit(disp=False)


def _error_of(response) -> str:
    """The error message of a 4xx JSON answer (asserting that it is one)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    return body["error"]


def _mae(a, b) -> float:
    return float(np.mean(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))


# The helpers as fixtures: test modules cannot import conftest under --import-mode=importlib.
@pytest.fixture
def epoch_records():
    return _epoch_records


@pytest.fixture
def iso_records():
    return _iso_records


@pytest.fixture
def train_over_http():
    return _train_over_http


@pytest.fixture
def reference_fit():
    return _reference_fit


@pytest.fixture
def error_of():
    return _error_of


@pytest.fixture
def mae():
    return _mae

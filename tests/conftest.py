"""Shared fixtures: build an app from YAML text in a temporary folder and talk to it over HTTP."""

from __future__ import annotations

import shutil
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient

from mlhandler.app import build_app
from mlhandler.config import load_config
from tests.helpers import BLANK_YAML, TITANIC_YAML

DATA = Path(__file__).parent / "data"


@pytest.fixture
def titanic() -> pd.DataFrame:
    return pd.read_csv(DATA / "titanic.csv")


@pytest.fixture
def iris() -> pd.DataFrame:
    return pd.read_csv(DATA / "iris.csv")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder holding copies of the datasets, where tests write their YAML."""
    for name in ("titanic.csv", "iris.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


@pytest.fixture
def make_client(workdir: Path) -> Callable[..., TestClient]:
    """`make_client(yaml_text, name="app.yaml", pm=None)` writes the YAML into `workdir`, builds
    the app (running startup training) and returns a TestClient. Call it again with the same YAML
    to simulate a restart."""
    clients = []

    def make(yaml_text: str, name: str = "app.yaml", pm=None) -> TestClient:
        path = workdir / name
        path.write_text(textwrap.dedent(yaml_text))
        client = TestClient(build_app(load_config(path), pm=pm))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def titanic_client(make_client) -> TestClient:
    """The seed: LogisticRegression on titanic, trained at startup."""
    return make_client(TITANIC_YAML)


@pytest.fixture
def blank_client(make_client) -> TestClient:
    """An endpoint with no kwargs but config_dir: configured and trained over HTTP."""
    return make_client(BLANK_YAML)


def current_files(config_dir: Path) -> tuple[Path | None, Path | None]:
    """The data file and model file that config.json (the commit point) names as current."""
    import json

    config = json.loads((Path(config_dir) / "config.json").read_text(encoding="utf-8"))
    data = Path(config_dir) / config["data"] if config.get("data") else None
    model = Path(config_dir) / config["model"]["path"] if config.get("model") else None
    return data, model


@pytest.fixture
def user_module(workdir, monkeypatch):
    """Write a uniquely named Python module next to the YAML; forget it after the test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    names = []

    def make(source: str) -> str:
        name = f"mymodule_{uuid.uuid4().hex[:10]}"
        (workdir / f"{name}.py").write_text(textwrap.dedent(source))
        names.append(name)
        return name

    yield make
    for name in names:
        sys.modules.pop(name, None)

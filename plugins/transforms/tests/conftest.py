"""Fixtures for the transforms plugin's tests: the datasets, and apps built from YAML in tmp_path.

Self-contained (the plugin is its own distribution): nothing here imports from the core's tests.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient

from mlhandler.app import build_app
from mlhandler.config import load_config

DATA = Path(__file__).parent / "data"


@pytest.fixture
def titanic() -> pd.DataFrame:
    return pd.read_csv(DATA / "titanic.csv")


@pytest.fixture
def circles() -> pd.DataFrame:
    return pd.read_csv(DATA / "circles.csv")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder holding copies of the datasets, where tests write their YAML and modules."""
    for name in ("titanic.csv", "circles.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


@pytest.fixture
def write_module(workdir: Path) -> Callable[[str, str], Path]:
    """`write_module("features", source)`: a Python module next to the YAML, importable by the
    YAML's dotted names."""

    def write(name: str, source: str) -> Path:
        path = workdir / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        return path

    return write


@pytest.fixture
def make_client(workdir: Path) -> Callable[..., TestClient]:
    """`make_client(yaml_text, name="app.yaml", pm=None)`: write the YAML into `workdir`, build
    the app (with the installed plugins unless `pm` is given; startup training included) and
    return a TestClient."""
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

"""The data transform as a setting: PUT ?transform= chooses registered names only, `_params`
shows the active transform, the cache is re-derived from the rows as sent, and the choice
survives restarts until the author edits the YAML's data."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from starlette.testclient import TestClient

import mlhandler_sklearn.hooks
from mlhandler import TransformSpec, hookimpl
from mlhandler.app import build_app
from mlhandler.config import load_config
from mlhandler.plugins import get_plugin_manager
from tests.helpers import TARGET, assert_error, cache_frame, json_body, query_rows, reference_model

ROW = "Sex=male&Age=22&SibSp=1&Parch=3&Fare=7.25&Pclass=3&Embarked=S"


class CountingTransforms:
    """Two transforms that take no options, and a count of the rows each one saw, per call."""

    def __init__(self):
        self.calls: list[tuple[str, int]] = []

    def family(self, data: pd.DataFrame) -> pd.DataFrame:
        self.calls.append(("family", len(data)))
        return data.assign(Family=data["SibSp"] + data["Parch"])

    def no_fare(self, data: pd.DataFrame) -> pd.DataFrame:
        self.calls.append(("no_fare", len(data)))
        return data.drop(columns=["Fare"])

    def needs_column(self, data: pd.DataFrame, column: str) -> pd.DataFrame:
        return data

    @hookimpl
    def register_transforms(self):
        return [
            TransformSpec("family", self.family, "Family = SibSp + Parch"),
            TransformSpec("no_fare", self.no_fare, "drop Fare"),
            TransformSpec("needs_column", self.needs_column, "takes an option"),
        ]


def app_yaml(transform: str | None = None) -> str:
    data = "url: $YAMLPATH/titanic.csv" + (f"\n                transform: {transform}" if transform else "")
    return textwrap.dedent(f"""
        url:
          titanic:
            pattern: /titanic
            handler: MLHandler
            kwargs:
              config_dir: $YAMLPATH/models/titanic
              data:
                {data}
              model:
                class: LogisticRegression
                target_col: Survived
                exclude: [PassengerId, Ticket, Cabin, Name]
                cats: [Embarked, Sex, Pclass]
        """)


@pytest.fixture
def plugin() -> CountingTransforms:
    return CountingTransforms()


@pytest.fixture
def start(workdir: Path, plugin: CountingTransforms):
    """`start(yaml_text)`: (re)start the app on the same workdir with the counting plugin."""
    clients = []

    def make(yaml_text: str) -> TestClient:
        (workdir / "app.yaml").write_text(yaml_text)
        pm = get_plugin_manager(load_entrypoints=False)
        pm.register(mlhandler_sklearn.hooks, name="sklearn")
        pm.register(plugin, name="counting")
        client = TestClient(build_app(load_config(workdir / "app.yaml"), pm=pm))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def fitted(training: pd.DataFrame):
    return reference_model(training, LogisticRegression(), cats=["Embarked", "Sex", "Pclass"])


def predicted(client: TestClient, query: str = ROW) -> list:
    res = client.get(f"/titanic?{query}")
    assert res.status_code == 200, res.text
    return [row[TARGET] for row in res.json()]


def test_put_transform_by_name_rederives_the_cache_once(start, plugin, titanic):
    client = start(app_yaml())
    assert client.get("/titanic?_params").json()["transform"] is None
    assert plugin.calls == []

    res = client.put("/titanic?transform=family")
    assert res.status_code == 200, res.text
    assert res.json()["transform"] == ["family"]
    # The cached rows, as they were sent, went through the new transform once.
    assert plugin.calls == [("family", len(titanic))]
    cache = cache_frame(client)
    assert (cache["Family"] == titanic["SibSp"] + titanic["Parch"]).all()

    res = client.post("/titanic?_action=train")
    assert res.status_code == 200, res.text
    assert plugin.calls == [("family", len(titanic))]  # training used the cache as it is

    transformed = titanic.assign(Family=titanic.SibSp + titanic.Parch)
    row = query_rows(ROW, titanic).assign(Family=4)
    assert predicted(client) == fitted(transformed).predict(row).tolist()
    assert plugin.calls[-1] == ("family", 1)  # the GET row, once
    assert client.get("/titanic?_params").json()["transform"] == ["family"]


def test_put_transform_lists_compose_in_order(start, plugin, titanic):
    client = start(app_yaml())
    res = client.put("/titanic?transform=family&transform=no_fare")
    assert res.status_code == 200, res.text
    assert [name for name, _ in plugin.calls] == ["family", "no_fare"]
    cache = cache_frame(client)
    assert "Fare" not in cache.columns and "Family" in cache.columns


@pytest.mark.parametrize("value", [
    "tests.helpers.csv_text",                 # a dotted function: only the YAML may name one
    "data.assign(Fare=0)",                    # an expression: likewise
    "nonexistent",                            # not registered
    "",                                       # nothing
])
def test_put_transform_takes_registered_names_only(start, workdir, value):
    client = start(app_yaml())
    before = (workdir / "models/titanic/config.json").read_bytes()
    res = client.put("/titanic", params={"transform": value})
    body = assert_error(res, 400, "registered")
    assert "family" in body["registered"]
    assert (workdir / "models/titanic/config.json").read_bytes() == before
    assert client.get("/titanic?_params").json()["transform"] is None


def test_put_transform_needing_options_is_refused(start):
    client = start(app_yaml())
    assert_error(client.put("/titanic?transform=needs_column"), 400, "needs_column", "options", "YAML")


def test_put_transform_failing_on_the_cache_changes_nothing(start, workdir, titanic):
    client = start(app_yaml())
    client.delete("/titanic?_cache")
    res = client.post("/titanic?_action=append", **json_body(titanic.drop(columns=["Parch"]).head(20)))
    assert res.status_code == 200, res.text
    before = (workdir / "models/titanic/config.json").read_bytes()
    res = client.put("/titanic?transform=family")
    assert_error(res, 400, "family", "cached")
    assert (workdir / "models/titanic/config.json").read_bytes() == before
    assert "Family" not in cache_frame(client).columns


def test_transform_chosen_over_http_survives_restart(start, plugin, titanic):
    client = start(app_yaml())
    assert client.put("/titanic?transform=family").status_code == 200
    assert client.post("/titanic?_action=train").status_code == 200
    answer = predicted(client)
    client.close()
    plugin.calls.clear()

    client = start(app_yaml())
    assert client.get("/titanic?_params").json()["transform"] == ["family"]
    assert plugin.calls == [("family", len(titanic))]  # the stored rows, re-derived once
    assert "Family" in cache_frame(client).columns
    assert predicted(client) == answer


def test_editing_the_yaml_transform_replaces_the_one_chosen_over_http(start, workdir, titanic, user_module):
    module = user_module("def halve(data):\n    return data.assign(Fare=data.Fare / 2)\n")
    client = start(app_yaml())
    assert client.put("/titanic?transform=family").status_code == 200
    client.close()

    client = start(app_yaml(f"{module}.halve"))
    assert client.get("/titanic?_params").json()["transform"] == f"{module}.halve"
    cache = cache_frame(client)
    assert "Family" not in cache.columns
    assert cache["Fare"].tolist() == pytest.approx((titanic.Fare / 2).tolist())
    stored = json.loads((workdir / "models/titanic/config.json").read_text())
    assert "transform" not in stored


def test_delete_opts_transform_restores_the_yaml_transform(start, plugin, titanic, user_module):
    module = user_module("def halve(data):\n    return data.assign(Fare=data.Fare / 2)\n")
    client = start(app_yaml(f"{module}.halve"))
    assert client.put("/titanic?transform=family").status_code == 200
    assert "Family" in cache_frame(client).columns
    assert cache_frame(client)["Fare"].tolist() == pytest.approx(titanic.Fare.tolist())

    res = client.delete("/titanic?delete=opts&_opts=transform")
    assert res.status_code == 200, res.text
    assert res.json()["transform"] == f"{module}.halve"
    cache = cache_frame(client)
    assert "Family" not in cache.columns
    assert cache["Fare"].tolist() == pytest.approx((titanic.Fare / 2).tolist())


def test_appended_rows_keep_columns_the_transform_drops(start, titanic):
    """The rows as sent are kept, so a later transform can use columns an earlier one dropped."""
    client = start(app_yaml())
    assert client.put("/titanic?transform=no_fare").status_code == 200
    extra = titanic.head(5)
    res = client.post("/titanic?_action=append", **json_body(extra))
    assert res.status_code == 200, res.text
    assert "Fare" not in cache_frame(client).columns
    assert client.put("/titanic?transform=family").status_code == 200
    cache = cache_frame(client)
    assert len(cache) == len(titanic) + 5
    assert cache["Fare"].tolist() == pytest.approx([*titanic.Fare, *extra.Fare])


def test_model_trained_with_a_transform_is_what_predicts(start, titanic):
    client = start(app_yaml())
    client.put("/titanic?transform=no_fare")
    res = client.post("/titanic?_action=train")
    assert res.status_code == 200, res.text
    local = fitted(titanic.drop(columns=["Fare"]))
    row = query_rows(ROW, titanic).drop(columns=["Fare"])
    assert predicted(client) == local.predict(row).tolist()
    assert "Fare" not in local[0].feature_names_in_

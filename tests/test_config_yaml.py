"""The YAML file (api.md §1): variables, user modules, data sources and transforms, validation,
defaults and startup training."""

from __future__ import annotations

import logging
import re
import sqlite3
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mlhandler.app import build_app
from mlhandler.config import load_config
from mlhandler.errors import ConfigError
from tests.conftest import current_files
from tests.helpers import (
    EXCLUDE,
    FEMALE_ROW,
    ROW,
    cache_frame,
    expected_survived,
    query_rows,
    reference_model,
    survived,
)

# titanic_yaml()'s default model section, which the local reference models below reproduce.
YAML_CATS = ["Embarked", "Sex", "Pclass"]
BOTH_ROWS = f"{ROW}&{FEMALE_ROW}"


def titanic_yaml(data: str = "url: $YAMLPATH/titanic.csv", model: str = "", extra: str = "") -> str:
    """A titanic endpoint; `data` and `model` are YAML lines placed under those keys."""
    data_lines = textwrap.indent(textwrap.dedent(data).strip(), " " * 8)
    model_lines = textwrap.indent(
        textwrap.dedent(
            model
            or """
            class: LogisticRegression
            target_col: Survived
            exclude: [PassengerId, Ticket, Cabin, Name]
            cats: [Embarked, Sex, Pclass]
            """
        ).strip(),
        " " * 8,
    )
    return (
        "url:\n"
        "  titanic:\n"
        "    pattern: /$YAMLURL/titanic\n"
        "    handler: MLHandler\n"
        "    kwargs:\n"
        "      config_dir: $YAMLPATH/models/titanic\n"
        f"{textwrap.indent(textwrap.dedent(extra).strip(), ' ' * 6)}\n"
        "      data:\n"
        f"{data_lines}\n"
        "      model:\n"
        f"{model_lines}\n"
    )


def yaml_model(data: pd.DataFrame):
    """titanic_yaml()'s default model, fitted locally with scikit-learn on `data`."""
    return reference_model(data, LogisticRegression(), exclude=EXCLUDE, cats=YAML_CATS)


def expected(titanic: pd.DataFrame, query: str = ROW) -> list:
    """What titanic_yaml()'s default model, trained on titanic.csv, predicts for a GET query."""
    return expected_survived(titanic, query, yaml_model(titanic))


def expected_both(titanic: pd.DataFrame) -> list:
    answer = expected(titanic, BOTH_ROWS)
    assert len(set(answer)) == 2, "ROW and FEMALE_ROW must get different answers to tell them apart"
    return answer


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def build(path: Path):
    return build_app(load_config(path))


# --- variables -----------------------------------------------------------------------------------
def test_yamlpath_is_the_yaml_folder(make_client, workdir, titanic):
    sub = workdir / "project"
    sub.mkdir()
    titanic.head(100).to_csv(sub / "local.csv", index=False)
    client = make_client(titanic_yaml(data="url: $YAMLPATH/local.csv"), name="project/app.yaml")
    config = load_config(sub / "app.yaml")
    endpoint = config.endpoints[0]
    assert Path(endpoint.config_dir).resolve() == (sub / "models" / "titanic").resolve()
    assert Path(endpoint.data.url).resolve() == (sub / "local.csv").resolve()
    assert len(cache_frame(client)) == 100
    assert (sub / "models" / "titanic" / "config.json").is_file()


def test_yamlurl_is_empty_at_the_root(make_client, titanic):
    client = make_client(titanic_yaml())
    assert survived(client.get(f"/titanic?{ROW}")) == expected(titanic)
    r = client.get(f"/$YAMLURL/titanic?{ROW}")
    assert r.status_code == 404


def test_environment_variables(make_client, workdir, monkeypatch):
    monkeypatch.setenv("MLH_TEST_STORE", "envstore")
    monkeypatch.setenv("MLH_TEST_CLASS", "DecisionTreeClassifier")
    monkeypatch.setenv("MLH_TEST_DEPTH", "3")
    client = make_client(
        """
        url:
          titanic:
            pattern: /titanic
            handler: MLHandler
            kwargs:
              config_dir: $YAMLPATH/${MLH_TEST_STORE}/titanic
              data: {url: $YAMLPATH/titanic.csv}
              model:
                class: $MLH_TEST_CLASS
                params: {max_depth: $MLH_TEST_DEPTH}
                target_col: Survived
                exclude: [PassengerId, Ticket, Cabin, Name]
        """
    )
    params = client.get("/titanic?_params").json()["params"]
    assert params["class"] == "DecisionTreeClassifier"
    assert params["params"]["max_depth"] == 3
    assert (workdir / "envstore" / "titanic" / "config.json").is_file()
    assert client.get("/titanic?_model").json()["max_depth"] == 3


def test_undefined_variable_is_named(workdir, monkeypatch):
    monkeypatch.delenv("MLH_SURELY_UNDEFINED", raising=False)
    path = write(
        workdir / "app.yaml",
        """
        url:
          titanic:
            pattern: /titanic
            handler: MLHandler
            kwargs:
              config_dir: $YAMLPATH/${MLH_SURELY_UNDEFINED}/titanic
        """,
    )
    with pytest.raises(ConfigError, match="MLH_SURELY_UNDEFINED"):
        load_config(path)


def test_undefined_dollar_name_is_named(workdir, monkeypatch):
    monkeypatch.delenv("MLH_OTHER_UNDEFINED", raising=False)
    path = write(workdir / "app.yaml", titanic_yaml(model="class: $MLH_OTHER_UNDEFINED"))
    with pytest.raises(ConfigError, match="MLH_OTHER_UNDEFINED"):
        load_config(path)


# --- user modules and transforms -----------------------------------------------------------------
def test_module_next_to_yaml_is_importable(make_client, titanic, user_module):
    module = user_module(
        """
        def clean(data):
            data = data.copy()
            data["Title"] = data["Name"].str.extract(r",\\s*([^.]+)\\.", expand=False)
            return data
        """
    )
    client = make_client(titanic_yaml(data=f"url: $YAMLPATH/titanic.csv\ntransform: {module}.clean"))
    cache = cache_frame(client)
    expected = titanic["Name"].str.extract(r",\s*([^.]+)\.", expand=False)
    assert cache["Title"].tolist() == expected.tolist()
    assert "Mr" in set(cache["Title"])
    assert client.get(f"/titanic?{ROW}&Name=Smith,%20Mr.%20John").status_code == 200


def test_transform_expression_over_data(make_client, titanic):
    client = make_client(
        titanic_yaml(
            data="url: $YAMLPATH/titanic.csv\n"
            'transform: "data.assign(Fare=data.Fare.fillna(0), Family=data.SibSp + data.Parch)"'
        )
    )
    cache = cache_frame(client)
    assert cache["Family"].tolist() == (titanic["SibSp"] + titanic["Parch"]).tolist()
    assert list(cache.columns) == [*titanic.columns, "Family"]
    assert client.get(f"/titanic?{ROW}").status_code == 200


def test_transform_runs_once_on_every_dataset(make_client, titanic, user_module):
    module = user_module(
        """
        CALLS = []

        def clean(data):
            CALLS.append(len(data))
            if "Seen" in data.columns:
                raise ValueError("the transform was applied twice")
            return data.assign(Seen=1)
        """
    )
    client = make_client(titanic_yaml(data=f"url: $YAMLPATH/titanic.csv\ntransform: {module}.clean"))
    calls = sys.modules[module].CALLS
    assert calls == [len(titanic)]  # the YAML data, once; startup training does not redo it
    assert (cache_frame(client)["Seen"] == 1).all()

    # The model is trained on the transformed data (with Seen), and so is the GET row.
    model = yaml_model(titanic.assign(Seen=1))
    assert survived(client.get(f"/titanic?{ROW}")) == model.predict(
        query_rows(ROW, titanic).assign(Seen=1)
    ).tolist()
    assert calls[1:] == [1]

    rows = titanic.iloc[[0, 1, 2]].drop(columns=["Survived"])
    body = {"content": rows.to_csv(index=False), "headers": {"Content-Type": "text/csv"}}
    r = client.post("/titanic?_action=predict", **body)
    assert r.status_code == 200, r.text
    assert len(r.json()) == 3
    assert calls[2:] == [3]

    appended = titanic.iloc[10:14]
    r = client.post(
        "/titanic?_action=append",
        content=appended.to_csv(index=False),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert calls[3:] == [4]

    r = client.post(
        "/titanic?_action=score",
        content=titanic.iloc[20:30].to_csv(index=False),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert calls[4:] == [10]

    r = client.post("/titanic?_action=train")  # trains on the cache, already transformed
    assert r.status_code == 200, r.text
    assert calls[5:] == []


# --- data sources --------------------------------------------------------------------------------
WRITERS = {
    "csv": lambda df, p: df.to_csv(p, index=False),
    "tsv": lambda df, p: df.to_csv(p, sep="\t", index=False),
    "json": lambda df, p: df.to_json(p, orient="records"),
    "jsonl": lambda df, p: df.to_json(p, orient="records", lines=True),
    "xlsx": lambda df, p: df.to_excel(p, index=False, engine="openpyxl"),
    "parquet": lambda df, p: df.to_parquet(p, index=False),
}


@pytest.mark.parametrize("ext", list(WRITERS))
def test_data_url_file_types(make_client, workdir, titanic, ext):
    WRITERS[ext](titanic, workdir / f"passengers.{ext}")
    client = make_client(titanic_yaml(data=f"url: $YAMLPATH/passengers.{ext}"))
    cache = cache_frame(client)
    assert list(cache.columns) == list(titanic.columns)
    assert len(cache) == len(titanic)
    assert cache["PassengerId"].tolist() == titanic["PassengerId"].tolist()
    assert cache["Name"].tolist() == titanic["Name"].tolist()
    assert cache["Survived"].sum() == titanic["Survived"].sum()
    assert survived(client.get(f"/titanic?{BOTH_ROWS}")) == expected_both(titanic)


def make_sqlite(workdir: Path, titanic: pd.DataFrame) -> None:
    with sqlite3.connect(workdir / "titanic.db") as conn:
        titanic.to_sql("passengers", conn, index=False)


def test_data_from_sqlite_table(make_client, workdir, titanic):
    make_sqlite(workdir, titanic)
    client = make_client(
        titanic_yaml(data="url: sqlite:///$YAMLPATH/titanic.db\ntable: passengers")
    )
    cache = cache_frame(client)
    assert len(cache) == len(titanic)
    assert cache["PassengerId"].tolist() == titanic["PassengerId"].tolist()
    assert survived(client.get(f"/titanic?{BOTH_ROWS}")) == expected_both(titanic)


def test_data_from_sqlite_query(make_client, workdir, titanic):
    make_sqlite(workdir, titanic)
    client = make_client(
        titanic_yaml(
            data="url: sqlite:///$YAMLPATH/titanic.db\n"
            "query: \"SELECT * FROM passengers WHERE Pclass = 1 OR Pclass = 3\""
        )
    )
    expected = titanic[titanic["Pclass"].isin([1, 3])]
    cache = cache_frame(client)
    assert len(cache) == len(expected)
    assert sorted(cache["PassengerId"]) == sorted(expected["PassengerId"])
    assert set(cache["Pclass"]) == {1, 3}


# --- validation ----------------------------------------------------------------------------------
def test_gramex_only_kwargs_are_ignored_with_a_warning(make_client, caplog, titanic):
    yaml_text = titanic_yaml(extra="xsrf_cookies: false\nheaders: {Cache-Control: no-cache}")
    with caplog.at_level(logging.WARNING):
        client = make_client(yaml_text)
    assert survived(client.get(f"/titanic?{ROW}")) == expected(titanic)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("xsrf_cookies" in w for w in warnings), warnings
    assert any("headers" in w for w in warnings), warnings


def test_misspelt_kwarg_is_named_with_allowed_keys(workdir):
    path = write(
        workdir / "app.yaml",
        """
        url:
          titanic:
            pattern: /titanic
            handler: MLHandler
            kwargs:
              confg_dir: $YAMLPATH/models/titanic
        """,
    )
    with pytest.raises(ConfigError) as info:
        build(path)
    message = str(info.value)
    assert "confg_dir" in message
    assert re.search(r"\bconfig_dir\b", message)
    assert "model" in message and "data" in message


def test_misspelt_model_option_is_named_with_allowed_keys(workdir):
    model = "class: LogisticRegression\ntarget_column: Survived"
    path = write(workdir / "app.yaml", titanic_yaml(model=model))
    with pytest.raises(ConfigError) as info:
        build(path)
    message = str(info.value)
    assert "target_column" in message
    assert re.search(r"\btarget_col\b", message)
    assert "exclude" in message


def test_unknown_class_lists_installed_plugins(workdir):
    model = "class: NoSuchEstimator\ntarget_col: Survived"
    path = write(workdir / "app.yaml", titanic_yaml(model=model))
    with pytest.raises(ConfigError) as info:
        build(path)
    message = str(info.value)
    assert "NoSuchEstimator" in message
    assert "sklearn" in message


def test_config_dir_defaults_to_data_dir_slug(workdir):
    path = write(
        workdir / "app.yaml",
        """
        app:
          data_dir: $YAMLPATH/store
        url:
          titanic:
            pattern: /titanic
            handler: MLHandler
            kwargs:
              data: {url: $YAMLPATH/titanic.csv}
              model: {class: LogisticRegression, target_col: Survived, exclude: [Name, Ticket, Cabin]}
        """,
    )
    config = load_config(path)
    assert Path(config.endpoints[0].config_dir).resolve() == (workdir / "store" / "titanic").resolve()
    build_app(config)
    assert (workdir / "store" / "titanic" / "config.json").is_file()
    assert current_files(workdir / "store" / "titanic")[1].is_file()


# --- startup -------------------------------------------------------------------------------------
def test_startup_training_serves_immediately(make_client, workdir, titanic):
    client = make_client(titanic_yaml())
    # Trained before the first request.
    assert current_files(workdir / "models" / "titanic")[1].is_file()
    assert survived(client.get(f"/titanic?{BOTH_ROWS}")) == expected_both(titanic)
    attrs = client.get("/titanic?_params").json()["attrs"]
    assert attrs["classes_"] == sorted(titanic["Survived"].unique().tolist())


def test_failed_startup_training_is_a_startup_error(workdir):
    model = "class: LogisticRegression\ntarget_col: NoSuchColumn"
    path = write(workdir / "app.yaml", titanic_yaml(model=model))
    with pytest.raises(ConfigError, match="NoSuchColumn"):
        build(path)


def test_missing_data_file_is_a_startup_error(workdir):
    path = write(workdir / "app.yaml", titanic_yaml(data="url: $YAMLPATH/nowhere.csv"))
    with pytest.raises(ConfigError, match="nowhere.csv"):
        build(path)


def test_endpoint_without_kwargs_is_a_blank_slate(make_client, workdir, monkeypatch, iris):
    monkeypatch.chdir(workdir)
    client = make_client(
        """
        url:
          blank:
            pattern: /blank
            handler: MLHandler
        """
    )
    page = client.get("/blank")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    params = client.get("/blank?_params")
    assert params.status_code == 200, params.text
    assert params.json()["attrs"] == {}
    assert client.get("/blank?sepal_length=1").status_code == 404
    # ...and it can be configured and trained over HTTP.
    r = client.put("/blank?class=LogisticRegression&target_col=species&max_iter=500")
    assert r.status_code == 200, r.text
    r = client.post(
        "/blank?_action=train",
        content=iris.to_csv(index=False),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    query = "sepal_length=5.1&sepal_width=3.5&petal_length=1.4&petal_width=0.2"
    r = client.get(f"/blank?{query}")
    assert r.status_code == 200, r.text
    # Every feature is numeric and no cats/nums: a bare LogisticRegression on the deduplicated rows.
    local = reference_model(iris, LogisticRegression(max_iter=500), target="species", exclude=())
    assert [row["species"] for row in r.json()] == local.predict(query_rows(query, iris)).tolist()


def test_other_handlers_are_skipped_with_a_warning(make_client, caplog, titanic):
    yaml_text = (
        "url:\n"
        "  hello:\n"
        "    pattern: /hello\n"
        "    handler: FunctionHandler\n"
        "    kwargs: {function: str('hi')}\n"
        + titanic_yaml().split("url:\n", 1)[1]
    )
    with caplog.at_level(logging.WARNING):
        client = make_client(yaml_text)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("hello" in w and "FunctionHandler" in w for w in warnings), warnings
    assert client.get("/hello").status_code == 404
    assert survived(client.get(f"/titanic?{ROW}")) == expected(titanic)

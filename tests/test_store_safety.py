"""config_dir is the user's folder too; restarts remember the YAML as written, not as substituted."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import textwrap

import joblib
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from tests.conftest import current_files
from tests.helpers import EXCLUDE, ROW, TITANIC_YAML, cache_frame, json_body

SHARED_FOLDER_YAML = """
url:
  titanic:
    pattern: /titanic
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH
      data:
        url: $YAMLPATH/data/titanic.csv
      model:
        class: LogisticRegression
        target_col: Survived
        exclude: [PassengerId, Ticket, Cabin, Name]
"""


def test_user_files_in_config_dir_are_never_deleted(make_client, workdir, titanic):
    """Gramex's docs use config_dir: $YAMLPATH, so data/ and models/ may hold the user's files."""
    (workdir / "data").mkdir()
    shutil.copy(workdir / "titanic.csv", workdir / "data" / "titanic.csv")
    (workdir / "models").mkdir()
    (workdir / "models" / "README.txt").write_text("my notes")
    (workdir / ".notes.tmp").write_text("mine too")

    client = make_client(SHARED_FOLDER_YAML)
    for step in ("/titanic?_action=append", "/titanic?_action=retrain"):
        assert client.post(step, **json_body(titanic.head(3))).status_code == 200
    assert client.delete("/titanic?_model").status_code == 200
    assert client.post("/titanic?_action=train").status_code == 200

    assert (workdir / "data" / "titanic.csv").read_bytes() == (workdir / "titanic.csv").read_bytes()
    assert (workdir / "models" / "README.txt").read_text() == "my notes"
    assert (workdir / ".notes.tmp").read_text() == "mine too"
    # ... while mlhandler's own older versions are pruned.
    data_file, model_file = current_files(workdir)
    ours = [p for p in (workdir / "data").iterdir() if p.suffix == ".parquet"]
    assert ours == [data_file]
    assert [p for p in (workdir / "models").iterdir() if p.is_dir()] == [model_file.parent]


def test_stray_temporary_config_files_are_cleaned(make_client, workdir):
    client = make_client(TITANIC_YAML)
    folder = workdir / "models" / "titanic"
    stray = folder / ".config.json.abc123.tmp"  # what a kill during an atomic write leaves
    stray.write_text("{")
    assert client.put("/titanic?C=0.5").status_code == 200
    assert not stray.exists()


def test_moving_the_project_keeps_appended_rows_and_the_model(make_client, workdir, titanic):
    client = make_client(TITANIC_YAML)
    assert client.post("/titanic?_action=append", **json_body(titanic.head(5))).status_code == 200
    _, model_file = current_files(workdir / "models" / "titanic")

    moved = workdir / "moved"
    moved.mkdir()
    for name in ("titanic.csv", "models"):
        shutil.move(workdir / name, moved / name)
    (moved / "app.yaml").write_text(textwrap.dedent(TITANIC_YAML))
    restarted = make_client(TITANIC_YAML, name="moved/app.yaml")

    assert len(cache_frame(restarted)) == len(titanic) + 5  # $YAMLPATH moved; the YAML did not change
    _, same_model = current_files(moved / "models" / "titanic")
    assert same_model.relative_to(moved) == model_file.relative_to(workdir)  # not retrained


def sqlite_yaml() -> str:
    return """
url:
  titanic:
    pattern: /titanic
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/titanic
      data:
        url: sqlite:///$YAMLPATH/titanic.db?timeout=${DB_TIMEOUT}
        table: passengers
      model:
        class: LogisticRegression
        target_col: Survived
        exclude: [PassengerId, Ticket, Cabin, Name]
"""


def test_environment_values_are_not_stored_and_do_not_count_as_edits(
    make_client, workdir, titanic, monkeypatch
):
    with sqlite3.connect(workdir / "titanic.db") as conn:
        titanic.to_sql("passengers", conn, index=False)
    monkeypatch.setenv("DB_TIMEOUT", "7351")
    client = make_client(sqlite_yaml())
    assert client.post("/titanic?_action=append", **json_body(titanic.head(3))).status_code == 200

    config_text = (workdir / "models" / "titanic" / "config.json").read_text()
    assert "7351" not in config_text  # the value of an environment variable is never written
    assert "${DB_TIMEOUT}" in config_text

    monkeypatch.setenv("DB_TIMEOUT", "9999")  # e.g. a rotated password
    restarted = make_client(sqlite_yaml())
    assert len(cache_frame(restarted)) == len(titanic) + 3  # appended rows kept


MODEL_PATH_YAML = """
url:
  tree:
    pattern: /tree
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/tree
      model:
        path: $YAMLPATH/tree.pkl
"""


def small_tree(titanic: pd.DataFrame, depth: int) -> DecisionTreeClassifier:
    frame = titanic[["Pclass", "Fare", "Survived"]].dropna()
    return DecisionTreeClassifier(max_depth=depth, random_state=0).fit(
        frame[["Pclass", "Fare"]], frame["Survived"]
    )


def test_replacing_the_file_at_model_path_is_picked_up(make_client, workdir, titanic):
    joblib.dump(small_tree(titanic, 1), workdir / "tree.pkl")
    client = make_client(MODEL_PATH_YAML)
    assert client.get("/tree?_model").json()["max_depth"] == 1

    joblib.dump(small_tree(titanic, 3), workdir / "tree.pkl")
    stat = (workdir / "tree.pkl").stat()
    os.utime(workdir / "tree.pkl", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    restarted = make_client(MODEL_PATH_YAML)
    assert restarted.get("/tree?_model").json()["max_depth"] == 3


def test_delete_model_never_deletes_the_file_the_yaml_names(make_client, workdir, titanic):
    joblib.dump(small_tree(titanic, 2), workdir / "tree.pkl")
    client = make_client(MODEL_PATH_YAML)
    assert client.delete("/tree?_model").status_code == 200
    assert client.get("/tree?Pclass=1&Fare=80").status_code == 404
    assert (workdir / "tree.pkl").is_file()
    restarted = make_client(MODEL_PATH_YAML)  # the YAML's model is the initial model again
    assert restarted.get("/tree?_model").json()["max_depth"] == 2


def test_model_left_in_config_dir_wins_over_startup_training(make_client, workdir, titanic):
    """api.md §1: startup training happens when no trained model exists in config_dir."""
    folder = workdir / "models" / "titanic"
    folder.mkdir(parents=True)
    tree = small_tree(titanic, 2)
    joblib.dump(tree, folder / "model.pkl")
    client = make_client(TITANIC_YAML)
    assert client.get("/titanic?_model").json()["max_depth"] == 2
    expected = tree.predict(pd.DataFrame({"Pclass": [3], "Fare": [7.25]})).tolist()
    assert [row["Survived"] for row in client.get(f"/titanic?{ROW}").json()] == expected


CATS_YAML = """
url:
  titanic:
    pattern: /titanic
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/titanic
      data: {{url: $YAMLPATH/titanic.csv}}
      model:
        class: LogisticRegression
        target_col: Survived
        exclude: {exclude}
        cats: {cats}
"""


def test_yaml_cats_edit_takes_the_column_from_http_nums(make_client):
    yaml = CATS_YAML.format(exclude=json.dumps(EXCLUDE), cats="[Sex]")
    client = make_client(yaml)
    assert client.put("/titanic?nums=Age&nums=Pclass").status_code == 200
    restarted = make_client(CATS_YAML.format(exclude=json.dumps(EXCLUDE), cats="[Sex, Pclass]"))
    opts = restarted.get("/titanic?_params").json()["opts"]
    assert opts["cats"] == ["Sex", "Pclass"]
    assert opts["nums"] == ["Age"]  # the author's edit wins for Pclass; Age stays as HTTP set it


def test_page_score_is_the_current_models(titanic_client, titanic):
    flipped = titanic.assign(Survived=1 - titanic.Survived)
    r = titanic_client.post("/titanic?_action=score", **json_body(flipped))
    low = r.json()["score"]
    trained = titanic_client.post("/titanic?_action=retrain").json()["score"]
    page = titanic_client.get("/titanic").text
    assert f"{trained:.4g}" in page and f"{low:.4g}" not in page


def test_format_is_accepted_by_every_verb(titanic_client, titanic):
    for response in (
        titanic_client.put("/titanic?C=0.5&_format=json"),
        titanic_client.post("/titanic?_action=score&_format=csv"),
        titanic_client.post("/titanic?_action=append&_format=json", **json_body(titanic.head(2))),
        titanic_client.delete("/titanic?delete=opts&_opts=include&_format=json"),
    ):
        assert response.status_code == 200, response.text
    score_csv = titanic_client.post("/titanic?_action=score&_format=csv")
    assert score_csv.headers["content-type"].startswith("text/csv")
    assert score_csv.text.splitlines()[0] == "score,metric,rows"


def test_settings_changed_over_http_that_cannot_train_do_not_stop_the_server(make_client, caplog):
    client = make_client(TITANIC_YAML)
    # A valid PUT whose combination only fails when fitting (lbfgs supports no l1 penalty).
    assert client.put("/titanic?penalty=l1&solver=lbfgs").status_code == 200
    assert client.delete("/titanic?_model").status_code == 200
    restarted = make_client(TITANIC_YAML)  # startup training fails with the HTTP settings
    assert restarted.get(f"/titanic?{ROW}").status_code == 404
    assert "settings changed over HTTP" in caplog.text
    assert restarted.put("/titanic?penalty=l2").status_code == 200
    assert restarted.post("/titanic?_action=train").status_code == 200

"""A config_dir written by Gramex's MLHandler keeps working when the same YAML moves to mlhandler.

Gramex stores {"transform": {options}, "model": {"class", "params"}} in config.json and saves the
model as <slug of the endpoint key>.pkl next to it.
"""

from __future__ import annotations

import json

import joblib
import pandas as pd

from tests.conftest import current_files
from tests.helpers import CATS, EXCLUDE, FEMALE_ROW, NUMS, ROW, TARGET, local_pipeline, survived

GRAMEX_YAML = """
url:
  Titanic Model:
    pattern: /titanic
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/gramex_dir
"""


def write_gramex_config_dir(workdir, titanic: pd.DataFrame):
    folder = workdir / "gramex_dir"
    folder.mkdir()
    model = local_pipeline(titanic)
    # Gramex names the file after python-slugify's slug of the endpoint key.
    joblib.dump(model, folder / "titanic-model.pkl")
    gramex_config = {
        "transform": {
            "include": [], "exclude": EXCLUDE, "dropna": True, "drop_duplicates": True,
            "pipeline": True, "nums": NUMS, "cats": CATS, "target_col": TARGET,
        },
        "model": {"class": "LogisticRegression", "params": {"C": 1.0, "max_iter": 100}},
    }
    (folder / "config.json").write_text(json.dumps(gramex_config))
    return folder, model


def test_gramex_config_dir_is_adopted(make_client, workdir, titanic):
    folder, model = write_gramex_config_dir(workdir, titanic)
    client = make_client(GRAMEX_YAML)

    # The Gramex-trained model answers, with Gramex's target_col naming the prediction.
    rows = pd.DataFrame([dict(p.split("=") for p in q.split("&")) for q in (ROW, FEMALE_ROW)])
    rows = rows.astype({"Age": float, "Fare": float, "SibSp": int, "Parch": int, "Pclass": int})
    expected = model.predict(rows).tolist()
    assert survived(client.get(f"/titanic?{ROW}")) == expected[:1]
    assert survived(client.get(f"/titanic?{FEMALE_ROW}")) == expected[1:]

    # Gramex's options and class/params carry over.
    stored = client.get("/titanic?_params").json()
    assert stored["opts"]["target_col"] == TARGET
    assert stored["opts"]["exclude"] == EXCLUDE
    assert stored["opts"]["cats"] == CATS
    assert stored["params"] == {"class": "LogisticRegression", "params": {"C": 1.0, "max_iter": 100}}

    # config.json is now mlhandler's own, and a restart serves the same model.
    config = json.loads((folder / "config.json").read_text())
    assert "transform" not in config and config["params"]["class"] == "LogisticRegression"
    restarted = make_client(GRAMEX_YAML)
    assert survived(restarted.get(f"/titanic?{ROW}&{FEMALE_ROW}")) == expected

    # It trains like any endpoint, with the stored options.
    r = restarted.post("/titanic?_action=train", content=titanic.to_csv(index=False),
                       headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == len(titanic[[*CATS, *NUMS, TARGET]].dropna().drop_duplicates())
    assert current_files(folder)[1].name == "model.pkl"


def test_delete_model_keeps_the_users_model_file(make_client, workdir, titanic):
    folder, model = write_gramex_config_dir(workdir, titanic)
    client = make_client(GRAMEX_YAML)
    assert client.delete("/titanic?_model").status_code == 200
    assert client.get(f"/titanic?{ROW}").status_code == 404
    # mlhandler never deletes a file it did not write: the Gramex model stays, and like the
    # YAML's own data and class it gives the endpoint its initial model at the next start.
    assert (folder / "titanic-model.pkl").is_file()
    restarted = make_client(GRAMEX_YAML)
    assert survived(restarted.get(f"/titanic?{ROW}")) == model.predict(
        pd.DataFrame([{"Sex": "male", "Age": 22.0, "SibSp": 1, "Parch": 0, "Fare": 7.25,
                       "Pclass": 3, "Embarked": "S"}])
    ).tolist()

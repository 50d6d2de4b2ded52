"""The issue's titanic example: datetime_parts on a date column, fillna, log1p and a dotted user
function in a module next to the YAML, trained at startup and applied to predictions."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest

FEATURES_MODULE = """
def family_size(data):
    return data.assign(family=data.SibSp + data.Parch + 1)
"""

TITANIC_YAML = """
url:
  titanic:
    pattern: /titanic
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/titanic
      data:
        url: $YAMLPATH/titanic_dated.csv
        transform:
          - {datetime_parts: {column: date, parts: [year, month, dayofweek], drop: true}}
          - {fillna: {Age: 28, Embarked: S}}
          - {log1p: [Fare]}
          - features.family_size
      model:
        class: LogisticRegression
        target_col: Survived
        exclude: [PassengerId, Name, Ticket, Cabin]
        cats: [Pclass, Sex, Embarked]
"""
START = date(2023, 11, 1)


def boarding(passenger_id: int) -> date:
    """A synthetic date per passenger: one day apart."""
    return START + timedelta(days=int(passenger_id))


@pytest.fixture
def dated(workdir, titanic) -> pd.DataFrame:
    data = titanic.assign(date=[boarding(p).isoformat() for p in titanic.PassengerId])
    data.to_csv(workdir / "titanic_dated.csv", index=False)
    return data


@pytest.fixture
def client(dated, make_client, write_module):
    write_module("features", FEATURES_MODULE)
    return make_client(TITANIC_YAML)


def test_training_data_goes_through_every_step(client, dated):
    rows = client.get("/titanic?_cache").json()
    assert len(rows) == len(dated)
    assert "date" not in rows[0]
    for row, (_, raw) in zip(rows, dated.iterrows(), strict=True):
        day = boarding(raw.PassengerId)
        assert (row["date_year"], row["date_month"], row["date_dayofweek"]) == (
            day.year, day.month, day.weekday())
        assert row["Age"] == (28 if pd.isna(raw.Age) else raw.Age)
        assert row["Embarked"] == ("S" if pd.isna(raw.Embarked) else raw.Embarked)
        assert row["Fare"] == pytest.approx(math.log(1 + raw.Fare))
        assert row["family"] == raw.SibSp + raw.Parch + 1


def test_the_model_trains_on_the_transformed_features(client, dated):
    # The rows the backend trains on, computed here with pandas: the transformed columns minus
    # the excluded ones, without missing values (none are left) and duplicates (model defaults).
    day = pd.to_datetime(dated.date)
    expected = dated.drop(columns=["PassengerId", "Name", "Ticket", "Cabin", "date"]).assign(
        date_year=day.dt.year, date_month=day.dt.month, date_dayofweek=day.dt.day_of_week,
        Age=dated.Age.fillna(28), Embarked=dated.Embarked.fillna("S"),
        Fare=[math.log(1 + f) for f in dated.Fare], family=dated.SibSp + dated.Parch + 1,
    )
    result = client.post("/titanic?_action=train").json()
    assert result["metric"] == "accuracy"
    assert result["rows"] == len(expected.dropna().drop_duplicates())
    assert result["score"] > 0.75
    params = client.get("/titanic?_params").json()
    assert params["transform"][-1] == "features.family_size"
    assert params["transform"][1] == {"fillna": {"Age": 28, "Embarked": "S"}}


def test_predictions_go_through_every_step(client):
    row = {"PassengerId": 1000, "Pclass": 3, "Name": "Doe, Mr. John", "Sex": "male", "Age": None,
           "SibSp": 1, "Parch": 1, "Ticket": "A/5", "Fare": 7.25, "Cabin": None, "Embarked": None,
           "date": "2024-03-09"}
    response = client.post("/titanic?_action=predict", json=[row])
    assert response.status_code == 200, response.text
    (echo,) = response.json()
    assert (echo["date_year"], echo["date_month"], echo["date_dayofweek"]) == (2024, 3, 5)
    assert (echo["Age"], echo["Embarked"], echo["family"]) == (28, "S", 3)
    assert echo["Fare"] == pytest.approx(math.log(8.25))
    assert echo["Survived"] in (0, 1)

    query = "Pclass=3&Sex=male&SibSp=1&Parch=1&Fare=7.25&Age=40&Embarked=C&date=2024-03-09"
    got = client.get(f"/titanic?{query}")
    assert got.status_code == 200, got.text
    (echo,) = got.json()
    assert (echo["date_dayofweek"], echo["family"], echo["Age"]) == (5, 3, 40)
    assert echo["Fare"] == pytest.approx(math.log(8.25))

"""The circles example: two rings that no straight line separates. exp(-x²) on X1 and X2 makes
them separable, so LogisticRegression scores 1.0 with the transform and about 0.5 without. The same
transform written as a dotted function, as an expression and as a list of named steps."""

from __future__ import annotations

import math

import pytest

ENDPOINT = """
url:
  circles:
    pattern: /circles
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/circles
      data:
        url: $YAMLPATH/circles.csv
{transform}
      model: {{class: LogisticRegression, target_col: y}}
"""

GAUSSIAN_MODULE = """
import numpy as np


def gaussian(data):
    return data.assign(X1=np.exp(-data.X1 ** 2), X2=np.exp(-data.X2 ** 2))
"""

TRANSFORMS = {
    "dotted function": "        transform: circles_features.gaussian",
    "expression": "        transform: data.assign(X1=np.exp(-data.X1**2), X2=np.exp(-data.X2**2))",
    "list": '        transform:\n          - {assign: {X1: "exp(-X1**2)", X2: "exp(-X2**2)"}}',
}


@pytest.fixture
def circles_client(make_client, write_module):
    def make(transform: str):
        write_module("circles_features", GAUSSIAN_MODULE)
        return make_client(ENDPOINT.format(transform=transform))

    return make


def train(client) -> dict:
    response = client.post("/circles?_action=train")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("way", list(TRANSFORMS))
def test_exp_minus_x_squared_separates_the_circles(circles_client, circles, way):
    client = circles_client(TRANSFORMS[way])
    result = train(client)
    assert result == {"score": 1.0, "metric": "accuracy", "rows": len(circles)}

    # Prediction rows go through the transform too: every raw point gets its own class back.
    points = circles[["X1", "X2"]].to_dict("records")
    response = client.post("/circles?_action=predict", json=points)
    assert response.status_code == 200, response.text
    assert [row["y"] for row in response.json()] == circles["y"].tolist()
    for i in (0, 1, 2):
        x1, x2, label = circles.loc[i, ["X1", "X2", "y"]]
        got = client.get(f"/circles?X1={x1!r}&X2={x2!r}")
        assert got.status_code == 200, got.text
        assert got.json()[0]["y"] == label


def test_without_the_transform_the_circles_are_not_separable(circles_client):
    result = train(circles_client(""))
    assert result["score"] < 0.7


def test_the_list_transforms_the_training_data_once(circles_client, circles):
    client = circles_client(TRANSFORMS["list"])
    rows = client.get("/circles?_cache").json()
    assert [row["X1"] for row in rows] == pytest.approx([math.exp(-x * x) for x in circles["X1"]])
    assert [row["X2"] for row in rows] == pytest.approx([math.exp(-x * x) for x in circles["X2"]])

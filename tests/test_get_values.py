"""GET values are text: they become numbers only where the data had numbers, never by rewriting text."""

from __future__ import annotations

import textwrap
from urllib.parse import quote

import pandas as pd
import pytest

from tests.helpers import ROW, TITANIC_YAML, assert_error

CODES_YAML = """
url:
  codes:
    pattern: /codes
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/codes
      model: {class: LogisticRegression, target_col: y}
"""


def train_codes(make_client):
    client = make_client(CODES_YAML)
    frame = pd.DataFrame({
        "code": ["1.0", "1.0", "2.0", "A", "+5"] * 6,
        "a": [3, 3, 3, 3, 3] * 6,
        "y": [1, 1, 0, 0, 0] * 6,
    })
    r = client.post("/codes?_action=train", content=frame.to_json(orient="records"),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    return client


def test_text_values_that_look_like_numbers_stay_as_sent(make_client):
    client = train_codes(make_client)
    for code in ("1.0", "+5", "2.0"):
        got = client.get(f"/codes?code={quote(code)}&a=3").json()
        posted = client.post("/codes", json=[{"code": code, "a": 3}]).json()
        assert got[0]["code"] == code
        assert got == posted
    # "1.0" is the category the model learnt; "1" is unknown to it (all one-hot columns zero).
    known = client.get("/codes?code=1.0&a=3&_proba=1").json()[0]["proba_1"]
    unknown = client.get("/codes?code=1&a=3&_proba=1").json()[0]["proba_1"]
    assert known > unknown


def test_infinite_values_are_an_error_or_text_never_a_500(make_client, titanic_client):
    client = train_codes(make_client)
    assert client.get("/codes?code=inf&a=3").json()[0]["code"] == "inf"  # text column: as sent
    assert_error(titanic_client.get(f"/titanic?{ROW.replace('Pclass=3', 'Pclass=inf')}"), 400, "Pclass")
    r = titanic_client.post("/titanic", content="Sex,Age,SibSp,Parch,Fare,Pclass,Embarked\n"
                            "inf,22,1,0,7.25,3,S\n", headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json()[0]["Sex"] == "inf"


TRANSFORM_YAML = TITANIC_YAML.replace(
    "        url: $YAMLPATH/titanic.csv",
    "        url: $YAMLPATH/titanic.csv\n        transform: data.assign(Fare=data.Fare / 2)",
)


def test_a_transform_sees_numbers_for_every_row(make_client, workdir):
    (workdir / "app.yaml").write_text(textwrap.dedent(TRANSFORM_YAML))
    client = make_client(TRANSFORM_YAML)
    rows = ROW.replace("Fare=7.25", "Fare=7.25&Fare=80&Fare=1e2")
    for key in ("Sex", "Age", "SibSp", "Parch", "Pclass", "Embarked"):
        value = next(p.split("=")[1] for p in ROW.split("&") if p.startswith(key + "="))
        rows += f"&{key}={value}&{key}={value}"
    r = client.get(f"/titanic?{rows}")
    assert r.status_code == 200, r.text
    assert [row["Fare"] for row in r.json()] == [7.25 / 2, 40.0, 50.0]


def test_leading_zeros_read_as_numbers_where_the_column_is_numeric(titanic_client):
    plain = titanic_client.get(f"/titanic?{ROW}").json()
    padded = titanic_client.get(f"/titanic?{ROW.replace('Pclass=3', 'Pclass=003')}").json()
    assert padded[0]["Pclass"] == 3
    assert padded == plain


@pytest.mark.parametrize("query", [
    b"a=1&b=2&a=3", b"a=&b", b"x=%20y+z&%C3%A9=%E2%82%AC", b"&&a=1&", b"a=1=2", b"k%3D=v%26", b"=v",
    b"a=%ZZ", b"t=caf\xc3\xa9",
])
def test_query_is_read_as_urllib_reads_it(query):
    """The handler's own query reader (no Starlette objects per request) agrees with parse_qsl."""
    from urllib.parse import parse_qsl

    from mlhandler.handler import query_args

    expected: dict[str, list[str]] = {}
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        expected.setdefault(key, []).append(value)
    request = type("Request", (), {"scope": {"query_string": query}})()
    assert query_args(request) == expected

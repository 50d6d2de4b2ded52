"""Reading an endpoint (GET predict, _model, _params, _cache, _download, the page) and the
predict / score actions, checked against scikit-learn computed locally (api.md §2.1, §2.2)."""

from __future__ import annotations

import io
import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, get_scorer
from sklearn.pipeline import Pipeline

from tests.helpers import (
    CATS,
    FEATURES,
    ROW,
    TARGET,
    TITANIC_YAML,
    assert_error,
    downloaded_model,
    json_body,
    local_pipeline,
)

IRIS_PCA_YAML = """
url:
  pca:
    pattern: /pca
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/pca
      data:
        url: $YAMLPATH/iris.csv
      model:
        class: PCA
        params: {n_components: 2}
        exclude: [species]
"""

# The seed endpoint with its own page template.
TEMPLATE_YAML = TITANIC_YAML + """\
      template: $YAMLPATH/page.html
"""


# --- helpers -------------------------------------------------------------------------------------
def shows_number(html: str, value: float) -> bool:
    """The page shows `value` in some usual rounding (0.8103, 0.810, 81.03%…)."""
    forms = [f"{value:.{n}f}" for n in (2, 3, 4)] + [f"{value:.{n}g}" for n in (3, 4, 6)]
    forms += [f"{value:.1%}", f"{value:.2%}", repr(value)]
    return any(form in html for form in forms)


# --- GET predict ---------------------------------------------------------------------------------
def test_get_predict_single_row_seed(titanic_client, titanic):
    r = titanic_client.get(f"/titanic?{ROW}")
    assert r.status_code == 200, r.text
    rows = r.json()
    assert isinstance(rows, list) and len(rows) == 1
    row = rows[0]
    assert set(row) == {"Sex", "Age", "SibSp", "Parch", "Fare", "Pclass", "Embarked", TARGET}
    assert row["Sex"] == "male" and row["Embarked"] == "S"
    expected = local_pipeline(titanic).predict(
        pd.DataFrame([{"Pclass": 3, "Sex": "male", "Age": 22.0, "SibSp": 1, "Parch": 0, "Fare": 7.25,
                       "Embarked": "S"}])
    )[0]
    assert row[TARGET] == int(expected)


def test_get_predict_values_cast_to_training_dtypes(titanic_client):
    row = titanic_client.get(f"/titanic?{ROW}").json()[0]
    # Age is float in titanic.csv, Pclass/SibSp/Parch are ints, Fare float, Sex text.
    assert isinstance(row["Age"], float) and row["Age"] == 22.0
    assert type(row["Pclass"]) is int and row["Pclass"] == 3
    assert type(row["SibSp"]) is int and row["SibSp"] == 1
    assert type(row["Parch"]) is int and row["Parch"] == 0
    assert isinstance(row["Fare"], float) and row["Fare"] == 7.25
    assert row["Sex"] == "male"
    assert type(row[TARGET]) is int


def test_get_predict_age_without_decimals_in_raw_json(titanic_client):
    # The JSON text itself must carry Age as a float (22.0), as the training column is float.
    text = titanic_client.get(f"/titanic?{ROW}").text
    assert '"Age":22.0' in text.replace(" ", "")
    assert '"Pclass":3,' in text.replace(" ", "") or '"Pclass":3}' in text.replace(" ", "")


def test_get_predict_repeated_rows_in_order(titanic_client, titanic):
    rows_in = [
        {"Sex": "male", "Age": 22, "SibSp": 1, "Parch": 0, "Fare": 7.25, "Pclass": 3, "Embarked": "S"},
        {"Sex": "female", "Age": 38, "SibSp": 1, "Parch": 0, "Fare": 71.2833, "Pclass": 1, "Embarked": "C"},
        {"Sex": "male", "Age": 54, "SibSp": 0, "Parch": 0, "Fare": 51.8625, "Pclass": 1, "Embarked": "S"},
    ]
    params = [(k, str(row[k])) for k in rows_in[0] for row in rows_in]
    r = titanic_client.get("/titanic", params=params)
    assert r.status_code == 200, r.text
    out = r.json()
    assert [o["Sex"] for o in out] == ["male", "female", "male"]
    assert [o["Age"] for o in out] == [22.0, 38.0, 54.0]
    assert [o["Embarked"] for o in out] == ["S", "C", "S"]
    expected = local_pipeline(titanic).predict(pd.DataFrame(rows_in)[FEATURES].astype({"Age": float}))
    assert [o[TARGET] for o in out] == [int(v) for v in expected]
    # the two contrasting rows do get different answers, so order really is checked
    assert len({o[TARGET] for o in out}) == 2


def test_get_predict_generic_two_rows_query(make_client, workdir):
    """?a=1&a=2&b=3&b=4 → 2 rows, in order (a numeric-only regression)."""
    pd.DataFrame({"a": [1, 2, 3, 4, 5, 6], "b": [3, 4, 1, 0, 2, 5], "y": [10, 20, 30, 40, 50, 60]}).to_csv(
        workdir / "ab.csv", index=False
    )
    client = make_client("""
    url:
      ab:
        pattern: /ab
        handler: MLHandler
        kwargs:
          config_dir: $YAMLPATH/models/ab
          data: {url: $YAMLPATH/ab.csv}
          model: {class: LinearRegression, target_col: y}
    """)
    r = client.get("/ab?a=1&a=2&b=3&b=4")
    assert r.status_code == 200, r.text
    out = r.json()
    assert [(o["a"], o["b"]) for o in out] == [(1, 3), (2, 4)]
    assert out[0]["y"] == pytest.approx(10.0, abs=1e-6)
    assert out[1]["y"] == pytest.approx(20.0, abs=1e-6)


def test_get_predict_unseen_category_is_ignored(titanic_client, titanic):
    r = titanic_client.get("/titanic?Sex=male&Age=22&SibSp=1&Parch=0&Fare=7.25&Pclass=3&Embarked=Z")
    assert r.status_code == 200, r.text
    row = r.json()[0]
    assert row["Embarked"] == "Z"
    expected = local_pipeline(titanic).predict(
        pd.DataFrame([{"Pclass": 3, "Sex": "male", "Age": 22.0, "SibSp": 1, "Parch": 0, "Fare": 7.25,
                       "Embarked": "Z"}])
    )[0]
    assert row[TARGET] == int(expected)


def test_get_predict_mismatched_repeat_counts_400(titanic_client):
    r = titanic_client.get(
        "/titanic?Sex=male&Sex=female&Age=22&SibSp=1&Parch=0&Fare=7.25&Pclass=3&Embarked=S"
    )
    assert_error(r, 400, "Sex")


def test_get_predict_uncastable_value_400(titanic_client):
    r = titanic_client.get("/titanic?Sex=male&Age=abc&SibSp=1&Parch=0&Fare=7.25&Pclass=3&Embarked=S")
    assert_error(r, 400, "Age")


def test_get_predict_missing_feature_400(titanic_client):
    r = titanic_client.get("/titanic?Sex=male&Age=22&SibSp=1&Parch=0&Pclass=3")
    body = assert_error(r, 400, "Fare", "Embarked")
    if "missing" in body:
        assert sorted(body["missing"]) == ["Embarked", "Fare"]


# --- _model, _params, _cache, _download ------------------------------------------------------------
def test_model_equals_sklearn_get_params(titanic_client):
    r = titanic_client.get("/titanic?_model")
    assert r.status_code == 200, r.text
    expected = json.loads(json.dumps(LogisticRegression().get_params()))
    assert r.json() == expected


def test_model_reflects_yaml_params(make_client):
    client = make_client("""
    url:
      titanic:
        pattern: /titanic
        handler: MLHandler
        kwargs:
          config_dir: $YAMLPATH/models/titanic
          data: {url: $YAMLPATH/titanic.csv}
          model:
            class: LogisticRegression
            params: {C: 0.5, max_iter: 300}
            target_col: Survived
            exclude: [PassengerId, Ticket, Cabin, Name]
    """)
    expected = json.loads(json.dumps(LogisticRegression(C=0.5, max_iter=300).get_params()))
    assert client.get("/titanic?_model").json() == expected


def test_params_shape_and_fitted_attrs(titanic_client):
    r = titanic_client.get("/titanic?_params")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"opts", "params", "transform", "attrs"}
    assert body["transform"] is None  # the titanic YAML has no data.transform
    assert set(body["opts"]) == {
        "include", "exclude", "cats", "nums", "target_col", "index_col", "dropna", "drop_duplicates",
        "pipeline",
    }
    assert body["opts"]["target_col"] == TARGET
    assert sorted(body["opts"]["exclude"]) == sorted(["PassengerId", "Ticket", "Cabin", "Name"])
    assert sorted(body["opts"]["cats"]) == sorted(CATS)
    assert body["opts"]["dropna"] is True and body["opts"]["pipeline"] is True
    assert body["params"]["class"] == "LogisticRegression"
    assert isinstance(body["params"]["params"], dict)
    attrs = body["attrs"]
    assert attrs["classes_"] == [0, 1]
    model = downloaded_model(titanic_client)
    estimator = model.steps[-1][1] if isinstance(model, Pipeline) else model
    assert np.allclose(np.asarray(attrs["coef_"]), estimator.coef_)
    assert np.allclose(np.asarray(attrs["intercept_"]), estimator.intercept_)


def test_params_on_blank_endpoint(blank_client):
    r = blank_client.get("/blank?_params")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["attrs"] == {}
    assert body["params"]["class"] is None
    assert body["opts"]["target_col"] is None
    assert body["opts"]["exclude"] == []


def test_cache_returns_training_data_exactly(titanic_client, titanic):
    r = titanic_client.get("/titanic?_cache")
    assert r.status_code == 200, r.text
    records = r.json()
    assert len(records) == len(titanic)
    assert list(records[0]) == list(titanic.columns)
    cache = pd.DataFrame.from_records(records, columns=list(titanic.columns))
    expected = titanic.astype(object).where(titanic.notna(), None)
    got = cache.astype(object).where(cache.notna(), None)
    assert got.values.tolist() == expected.values.tolist()
    # dtypes as stored: ints stay ints, floats stay floats
    assert type(records[0]["PassengerId"]) is int
    assert isinstance(records[0]["Fare"], float)


def test_cache_empty_is_empty_list(blank_client):
    r = blank_client.get("/blank?_cache")
    assert r.status_code == 200, r.text
    assert r.json() == []


def test_download_is_model_pkl_that_predicts_like_endpoint(titanic_client, titanic):
    r = titanic_client.get("/titanic?_download")
    assert r.status_code == 200, r.text
    disposition = r.headers["content-disposition"]
    assert "attachment" in disposition and "model.pkl" in disposition
    model = joblib.load(io.BytesIO(r.content))
    assert hasattr(model, "predict")
    sample = titanic.head(60)
    out = titanic_client.post("/titanic?_action=predict", **json_body(sample))
    assert out.status_code == 200, out.text
    assert [row[TARGET] for row in out.json()] == model.predict(sample[FEATURES]).tolist()
    # and matches an independently fitted pipeline
    assert model.predict(titanic[FEATURES]).tolist() == local_pipeline(titanic).predict(titanic[FEATURES]).tolist()


# --- needs a model: 404 on a blank endpoint ------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        ("get", "/blank?a=1&b=2", {}),
        ("get", "/blank?_model", {}),
        ("get", "/blank?_download", {}),
        ("post", "/blank?_action=predict", {"json": [{"a": 1}]}),
        ("post", "/blank", {"json": [{"a": 1}]}),
        ("post", "/blank?_action=score", {"json": [{"a": 1, "y": 0}]}),
        ("post", "/blank?_action=score", {}),
    ],
)
def test_requests_needing_model_on_blank_404(blank_client, method, url, kwargs):
    r = getattr(blank_client, method)(url, **kwargs)
    body = assert_error(r, 404)
    assert "train" in body["error"].lower()


# --- the HTML page -------------------------------------------------------------------------------
def test_page_before_model_exists(blank_client):
    r = blank_client.get("/blank")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "<html" in html.lower()
    assert "blank" in html
    assert "?_model" in html and "?_params" in html


def test_page_after_model(titanic_client, titanic):
    score = titanic_client.post("/titanic?_action=score&_metric=accuracy").json()
    r = titanic_client.get("/titanic")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    # configuration
    assert "LogisticRegression" in html and "Survived" in html and "PassengerId" in html
    # data preview: the first passengers' names
    assert "Braund" in html and "Cumings" in html
    # a prediction form with an input for every feature
    assert "<form" in html
    for feature in FEATURES:
        assert f'name="{feature}"' in html, feature
    # the last score
    assert shows_number(html, score["score"])
    assert str(score["rows"]) in html and "accuracy" in html
    # links
    for link in ("?_model", "?_params", "?_download"):
        assert link in html, link


def test_page_shows_training_score_before_any_scoring(titanic_client, titanic):
    frame = titanic[FEATURES + [TARGET]].dropna().drop_duplicates()
    accuracy = local_pipeline(titanic).score(frame[FEATURES], frame[TARGET])
    html = titanic_client.get("/titanic").text
    assert shows_number(html, accuracy)


def test_user_template_renders_with_handler_and_data(make_client, workdir, titanic):
    (workdir / "page.html").write_text(
        "<h1>custom {{ handler.name }}</h1>"
        "<p id=rows>{{ data|length }}</p>"
        "<p id=cols>{{ data.columns|list|join(',') }}</p>"
        "<p id=first>{{ data['Name'].iloc[0] }}</p>"
    )
    client = make_client(TEMPLATE_YAML)
    r = client.get("/titanic")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>custom titanic</h1>" in r.text
    assert f"<p id=rows>{len(titanic)}</p>" in r.text
    assert f"<p id=cols>{','.join(titanic.columns)}</p>" in r.text
    assert "Braund, Mr. Owen Harris" in r.text
    # predictions still work with a template configured
    assert client.get(f"/titanic?{ROW}").status_code == 200


# --- POST predict --------------------------------------------------------------------------------
def test_post_predict_rows_in_order_with_duplicates_and_missing(titanic_client, titanic):
    sample = titanic.iloc[[5, 0, 1, 0, 17, 1, 19, 0]].reset_index(drop=True)  # rows 5, 17, 19 lack Age
    assert sample["Age"].isna().sum() >= 2
    for url in ("/titanic?_action=predict", "/titanic"):
        r = titanic_client.post(url, **json_body(sample))
        assert r.status_code == 200, r.text
        out = r.json()
        assert len(out) == len(sample)
        assert [o["PassengerId"] for o in out] == sample["PassengerId"].tolist()
        assert [o["Age"] for o in out] == [None if pd.isna(a) else a for a in sample["Age"]]
        expected = local_pipeline(titanic).predict(sample[FEATURES])
        assert [o[TARGET] for o in out] == [int(v) for v in expected]


def test_post_predict_whole_dataset_matches_local_pipeline(titanic_client, titanic):
    r = titanic_client.post("/titanic?_action=predict", **json_body(titanic))
    assert r.status_code == 200, r.text
    out = r.json()
    assert len(out) == len(titanic)
    expected = local_pipeline(titanic).predict(titanic[FEATURES])
    assert [o[TARGET] for o in out] == [int(v) for v in expected]


def test_post_predict_extra_columns_echoed(titanic_client):
    row = {"Sex": "female", "Age": 30, "SibSp": 0, "Parch": 0, "Fare": 30.0, "Pclass": 1,
           "Embarked": "C", "Name": "Ms. Extra", "Note": "hello", "PassengerId": 9999}
    r = titanic_client.post("/titanic?_action=predict", json=[row])
    assert r.status_code == 200, r.text
    out = r.json()[0]
    assert out["Name"] == "Ms. Extra" and out["Note"] == "hello" and out["PassengerId"] == 9999
    assert TARGET in out


def test_post_predict_missing_columns_400(titanic_client):
    r = titanic_client.post("/titanic?_action=predict",
                            json=[{"Sex": "male", "SibSp": 1, "Parch": 0, "Fare": 7.25, "Pclass": 3}])
    body = assert_error(r, 400, "Age", "Embarked")
    if "missing" in body:
        assert sorted(body["missing"]) == ["Age", "Embarked"]


def test_post_predict_uncastable_value_400(titanic_client):
    row = {"Sex": "male", "Age": "abc", "SibSp": 1, "Parch": 0, "Fare": 7.25, "Pclass": 3, "Embarked": "S"}
    body = assert_error(titanic_client.post("/titanic", json=[row]), 400, "Age")
    assert "abc" in body["error"]


def test_post_predict_text_numbers_are_cast(titanic_client, titanic):
    row = {"Sex": "male", "Age": "22", "SibSp": "1", "Parch": "0", "Fare": "7.25", "Pclass": "3", "Embarked": "S"}
    r = titanic_client.post("/titanic", json=[row])
    assert r.status_code == 200, r.text
    out = r.json()[0]
    assert out["Age"] == 22.0 and out["Pclass"] == 3
    assert out[TARGET] == titanic_client.get(f"/titanic?{ROW}").json()[0][TARGET]


def test_post_predict_csv_format(titanic_client, titanic):
    sample = titanic.head(12)
    r = titanic_client.post("/titanic?_action=predict&_format=csv", **json_body(sample))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(r.text))
    assert len(frame) == len(sample)
    assert list(frame.columns) == list(sample.columns)  # Survived was in the input: overwritten
    assert frame["PassengerId"].tolist() == sample["PassengerId"].tolist()
    assert frame[TARGET].tolist() == local_pipeline(titanic).predict(sample[FEATURES]).tolist()


def test_get_predict_csv_format(titanic_client):
    r = titanic_client.get(f"/titanic?{ROW}&_format=csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(r.text))
    assert len(frame) == 1 and frame["Sex"].iloc[0] == "male" and TARGET in frame.columns


def test_pca_predict_returns_matrix(make_client, iris):
    client = make_client(IRIS_PCA_YAML)
    cols = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    sample = iris.iloc[[0, 50, 100, 0]]
    r = client.post("/pca?_action=predict", **json_body(sample))
    assert r.status_code == 200, r.text
    matrix = r.json()
    assert isinstance(matrix, list) and len(matrix) == len(sample)
    assert all(isinstance(row, list) and len(row) == 2 for row in matrix)
    local = PCA(n_components=2).fit(iris[cols].dropna().drop_duplicates())
    expected = local.transform(sample[cols])
    got = np.asarray(matrix, dtype=float)
    # PCA components are defined up to sign; compare each component up to a sign flip
    for j in range(2):
        assert np.allclose(got[:, j], expected[:, j], atol=1e-6) or np.allclose(
            got[:, j], -expected[:, j], atol=1e-6
        )
    assert np.allclose(got[0], got[3])


# --- POST score ----------------------------------------------------------------------------------
@pytest.mark.parametrize("metric", ["accuracy", "f1_weighted", "roc_auc"])
def test_score_on_cache_equals_sklearn(titanic_client, titanic, metric):
    r = titanic_client.post(f"/titanic?_action=score&_metric={metric}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"score", "metric", "rows"}
    assert body["metric"] == metric
    assert body["rows"] == len(titanic)
    model = downloaded_model(titanic_client)
    expected = get_scorer(metric)(model, titanic[FEATURES], titanic[TARGET])
    assert body["score"] == pytest.approx(expected, abs=1e-12)
    refit = get_scorer(metric)(local_pipeline(titanic), titanic[FEATURES], titanic[TARGET])
    assert body["score"] == pytest.approx(refit, abs=1e-6)


def test_score_default_metric_is_accuracy(titanic_client, titanic):
    r = titanic_client.post("/titanic?_action=score")  # no body: the cached data, all of titanic
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["metric"] == "accuracy"
    assert body["rows"] == len(titanic)
    model = downloaded_model(titanic_client)
    assert body["score"] == pytest.approx(model.score(titanic[FEATURES], titanic[TARGET]), abs=1e-12)
    # Independently: the seed model fitted locally, its accuracy on the same rows.
    local = accuracy_score(titanic[TARGET], local_pipeline(titanic).predict(titanic[FEATURES]))
    assert body["score"] == pytest.approx(local, abs=1e-12)


@pytest.mark.parametrize("metric", ["accuracy", "f1_weighted", "roc_auc"])
def test_score_on_body_equals_sklearn(titanic_client, titanic, metric):
    sample = titanic.iloc[100:300]
    r = titanic_client.post(f"/titanic?_action=score&_metric={metric}", **json_body(sample))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rows"] == len(sample) and body["metric"] == metric
    expected = get_scorer(metric)(local_pipeline(titanic), sample[FEATURES], sample[TARGET])
    assert body["score"] == pytest.approx(expected, abs=1e-6)


def test_score_target_col_override(titanic_client, titanic):
    sample = titanic.iloc[:300].copy()
    rng = np.random.default_rng(0)
    flip = rng.random(len(sample)) < 0.3
    sample["Truth"] = np.where(flip, 1 - sample[TARGET], sample[TARGET])
    r = titanic_client.post("/titanic?_action=score&target_col=Truth", **json_body(sample))
    assert r.status_code == 200, r.text
    body = r.json()
    predicted = local_pipeline(titanic).predict(sample[FEATURES])
    expected = float((predicted == sample["Truth"].to_numpy()).mean())
    plain = float((predicted == sample[TARGET].to_numpy()).mean())
    assert expected != pytest.approx(plain)
    assert body["score"] == pytest.approx(expected, abs=1e-12)
    assert body["rows"] == len(sample)


def test_score_unknown_metric_400(titanic_client):
    assert_error(titanic_client.post("/titanic?_action=score&_metric=nonsense"), 400, "nonsense")


"""Training, retraining, appending, configuring (PUT) and deleting over HTTP (api.md §2.2–§2.5).

Expected values are computed locally with scikit-learn on the same rows, with the preprocessing
pipeline of api.md §2.5 rebuilt here independently of the product's code.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeRegressor

from tests.helpers import (
    EXCLUDE,
    IRIS_YAML,
    ROW,
    TARGET,
    cache_frame,
    csv_text,
    downloaded_model,
    post_csv,
)

# The seed YAML's cats, in its order (CATS is the column order of the §2.5 reference pipeline).
TITANIC_CATS = ["Embarked", "Sex", "Pclass"]
IRIS_NUMS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


# --- helpers -----------------------------------------------------------------------------------
def roundtrip(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the server reads a CSV body (same parser, same dtypes)."""
    return pd.read_csv(io.StringIO(csv_text(frame)))


def used_rows(data: pd.DataFrame, features: list[str], target: str | None,
              dropna: bool = True, drop_duplicates: bool = True) -> pd.DataFrame:
    """§2.5: dropna / drop_duplicates on the used columns only."""
    frame = data[features + ([target] if target else [])]
    if dropna:
        frame = frame.dropna()
    if drop_duplicates:
        frame = frame.drop_duplicates()
    return frame


def local_model(estimator, X: pd.DataFrame, cats=(), nums=(), pipeline: bool = True):
    """§2.5 pipeline: cats (+ non-numeric) → most_frequent + one-hot(ignore); nums → mean + scale.
    Bare estimator when every feature is numeric and neither cats nor nums is set."""
    numeric = {c for c in X.columns if pd.api.types.is_numeric_dtype(X[c].dtype)}
    cat_cols = [c for c in X.columns if c in cats or (c not in nums and c not in numeric)]
    num_cols = [c for c in X.columns if c not in cat_cols]
    if not pipeline or not (cats or nums or cat_cols):
        return estimator
    steps = []
    if cat_cols:
        steps.append(("cats", Pipeline([
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]), cat_cols))
    if num_cols:
        steps.append(("nums", Pipeline([
            ("impute", SimpleImputer(strategy="mean")), ("scale", StandardScaler()),
        ]), num_cols))
    return Pipeline([("transform", ColumnTransformer(steps)), ("model", estimator)])


def titanic_features(data: pd.DataFrame, exclude=EXCLUDE) -> list[str]:
    return [c for c in data.columns if c not in set(exclude) | {TARGET}]


def fit_titanic(data: pd.DataFrame, estimator=None, exclude=EXCLUDE, cats=TITANIC_CATS):
    """Fit locally like the seed endpoint; return (model, rows used)."""
    data = roundtrip(data)
    features = titanic_features(data, exclude)
    rows = used_rows(data, features, TARGET)
    model = local_model(estimator if estimator is not None else LogisticRegression(),
                        rows[features], cats=cats)
    model.fit(rows[features], rows[TARGET])
    return model, rows


def local_titanic_score(data: pd.DataFrame, estimator=None, **kwargs) -> tuple[float, int]:
    model, rows = fit_titanic(data, estimator, **kwargs)
    X = rows.drop(columns=[TARGET])
    return accuracy_score(rows[TARGET], model.predict(X)), len(rows)


def final(model):
    return model.steps[-1][1] if isinstance(model, Pipeline) else model


def jsonable(params: dict) -> dict:
    return json.loads(json.dumps(params))


def configure_titanic(client, path: str = "/blank", extra: str = "") -> None:
    query = "class=LogisticRegression&target_col=Survived&" + "&".join(
        [f"exclude={c}" for c in EXCLUDE] + [f"cats={c}" for c in TITANIC_CATS]
    )
    res = client.put(f"{path}?{query}{extra}")
    assert res.status_code == 200, res.text


def predict_rows(client, path: str, frame: pd.DataFrame) -> list:
    res = post_csv(client, f"{path}?_action=predict", frame)
    assert res.status_code == 200, res.text
    return res.json()


# --- train ---------------------------------------------------------------------------------------
def test_train_with_body_replaces_cache_and_scores_like_sklearn(titanic_client, titanic):
    subset = titanic.iloc[:400]
    res = post_csv(titanic_client, "/titanic?_action=train", subset)
    assert res.status_code == 200, res.text
    answer = res.json()
    assert set(answer) == {"score", "metric", "rows"}
    expected, rows = local_titanic_score(subset)
    assert answer["metric"] == "accuracy"
    assert answer["rows"] == rows
    assert answer["score"] == pytest.approx(expected, abs=1e-9)

    cache = cache_frame(titanic_client, "/titanic")
    assert list(cache.columns) == list(titanic.columns)
    assert len(cache) == len(subset)
    assert cache["PassengerId"].tolist() == subset["PassengerId"].tolist()

    # The downloaded model agrees with the reported score on the same rows.
    model = downloaded_model(titanic_client, "/titanic")
    data = roundtrip(subset)
    used = used_rows(data, titanic_features(data), TARGET)
    X = used.drop(columns=[TARGET])
    assert accuracy_score(used[TARGET], model.predict(X)) == pytest.approx(answer["score"])
    assert isinstance(final(model), LogisticRegression)


def test_train_target_col_query_sets_and_stores_target(blank_client, iris):
    assert blank_client.put("/blank?class=DecisionTreeClassifier&random_state=0").status_code == 200
    res = post_csv(blank_client, "/blank?_action=train&target_col=species", iris)
    assert res.status_code == 200, res.text
    assert res.json()["metric"] == "accuracy"
    params = blank_client.get("/blank?_params").json()
    assert params["opts"]["target_col"] == "species"
    assert sorted(params["attrs"]["classes_"]) == sorted(iris["species"].unique())
    # The stored target is used by the next train (no target_col in the query).
    res = blank_client.post("/blank?_action=train")
    assert res.status_code == 200, res.text
    assert res.json()["rows"] == len(used_rows(iris, IRIS_NUMS, "species"))


def test_train_without_body_uses_cache(titanic_client, titanic):
    subset = titanic.iloc[100:450]
    assert post_csv(titanic_client, "/titanic?_action=train", subset).status_code == 200
    res = titanic_client.post("/titanic?_action=train")
    assert res.status_code == 200, res.text
    expected, rows = local_titanic_score(subset)
    assert res.json()["rows"] == rows
    assert res.json()["score"] == pytest.approx(expected, abs=1e-9)
    assert len(cache_frame(titanic_client, "/titanic")) == len(subset)


def test_train_on_startup_cache_matches_full_data(titanic_client, titanic):
    res = titanic_client.post("/titanic?_action=train")
    assert res.status_code == 200, res.text
    expected, rows = local_titanic_score(titanic)
    assert res.json() == {"score": pytest.approx(expected, abs=1e-9), "metric": "accuracy", "rows": rows}


def test_retrain_appends_body_then_trains_on_everything(titanic_client, titanic):
    first, second = titanic.iloc[:300], titanic.iloc[300:600]
    assert post_csv(titanic_client, "/titanic?_action=train", first).status_code == 200
    res = post_csv(titanic_client, "/titanic?_action=retrain", second)
    assert res.status_code == 200, res.text
    expected, rows = local_titanic_score(titanic.iloc[:600])
    assert res.json()["rows"] == rows
    assert res.json()["score"] == pytest.approx(expected, abs=1e-9)
    cache = cache_frame(titanic_client, "/titanic")
    assert cache["PassengerId"].tolist() == titanic["PassengerId"].iloc[:600].tolist()


def test_retrain_with_target_col_seed_example(titanic_client, titanic):
    res = post_csv(titanic_client, "/titanic?_action=retrain&target_col=Survived", titanic.iloc[:50])
    assert res.status_code == 200, res.text
    combined = pd.concat([titanic, titanic.iloc[:50]], ignore_index=True)
    expected, rows = local_titanic_score(combined)
    assert res.json()["rows"] == rows
    assert res.json()["score"] == pytest.approx(expected, abs=1e-9)
    assert len(cache_frame(titanic_client, "/titanic")) == len(titanic) + 50


def test_retrain_without_body_trains_on_cache(titanic_client, titanic):
    res = titanic_client.post("/titanic?_action=retrain")
    assert res.status_code == 200, res.text
    expected, rows = local_titanic_score(titanic)
    assert res.json()["rows"] == rows
    assert res.json()["score"] == pytest.approx(expected, abs=1e-9)
    assert len(cache_frame(titanic_client, "/titanic")) == len(titanic)


# --- append ------------------------------------------------------------------------------------
def test_append_grows_cache(titanic_client, titanic):
    extra = titanic.iloc[:46]
    res = post_csv(titanic_client, "/titanic?_action=append", extra)
    assert res.status_code == 200, res.text
    assert res.json() == {"appended": 46, "rows": len(titanic) + 46}
    cache = cache_frame(titanic_client, "/titanic")
    assert len(cache) == len(titanic) + 46
    assert list(cache.columns) == list(titanic.columns)
    assert cache["PassengerId"].iloc[-46:].tolist() == extra["PassengerId"].tolist()
    assert cache["Name"].iloc[-46:].tolist() == extra["Name"].tolist()


def test_append_with_mismatched_columns_is_400_naming_them(titanic_client, titanic):
    bad = titanic.iloc[:5].drop(columns=["Fare"]).assign(Bogus=1)
    res = post_csv(titanic_client, "/titanic?_action=append", bad)
    assert res.status_code == 400, res.text
    message = res.json()["error"]
    assert "Fare" in message and "Bogus" in message
    assert len(cache_frame(titanic_client, "/titanic")) == len(titanic)


def test_append_then_train(blank_client, titanic):
    configure_titanic(blank_client)
    res = post_csv(blank_client, "/blank?_action=append", titanic.iloc[:200])
    assert res.status_code == 200, res.text
    assert res.json() == {"appended": 200, "rows": 200}
    res = post_csv(blank_client, "/blank?_action=append", titanic.iloc[200:400])
    assert res.json() == {"appended": 200, "rows": 400}
    res = blank_client.post("/blank?_action=train")
    assert res.status_code == 200, res.text
    expected, rows = local_titanic_score(titanic.iloc[:400])
    assert res.json()["rows"] == rows
    assert res.json()["score"] == pytest.approx(expected, abs=1e-9)


# --- reference flows ---------------------------------------------------------------------------
def test_blank_slate_configured_by_put_then_trained_then_predicts(blank_client, titanic):
    assert blank_client.get(f"/blank?{ROW}").status_code == 404
    configure_titanic(blank_client)
    res = post_csv(blank_client, "/blank?_action=train", titanic)
    assert res.status_code == 200, res.text
    expected, rows = local_titanic_score(titanic)
    assert res.json()["score"] == pytest.approx(expected, abs=1e-9)

    res = blank_client.get(f"/blank?{ROW}")
    assert res.status_code == 200, res.text
    [row] = res.json()
    model, _ = fit_titanic(titanic)
    X = pd.DataFrame([{"Pclass": 3, "Sex": "male", "Age": 22.0, "SibSp": 1, "Parch": 0,
                       "Fare": 7.25, "Embarked": "S"}])
    assert row["Survived"] == int(model.predict(X)[0])
    assert row["Sex"] == "male" and row["Age"] == 22


def test_change_class_to_random_forest(titanic_client, titanic):
    res = titanic_client.put("/titanic?class=RandomForestClassifier&n_estimators=10&random_state=0")
    assert res.status_code == 200, res.text
    res = titanic_client.post("/titanic?_action=train")
    assert res.status_code == 200, res.text
    expected, rows = local_titanic_score(titanic, RandomForestClassifier(n_estimators=10, random_state=0))
    assert res.json()["rows"] == rows
    assert res.json()["score"] == pytest.approx(expected, abs=1e-9)

    model_params = titanic_client.get("/titanic?_model").json()
    assert model_params["n_estimators"] == 10
    assert model_params == jsonable(RandomForestClassifier(n_estimators=10, random_state=0).get_params())
    assert titanic_client.get("/titanic?_params").json()["params"]["class"] == "RandomForestClassifier"
    forest = final(downloaded_model(titanic_client, "/titanic"))
    assert isinstance(forest, RandomForestClassifier)
    assert len(forest.estimators_) == 10


def test_put_never_trains(titanic_client, titanic):
    rows = titanic.iloc[:30]
    before = predict_rows(titanic_client, "/titanic", rows)
    lr_params = jsonable(LogisticRegression().get_params())
    assert titanic_client.get("/titanic?_model").json() == lr_params

    res = titanic_client.put("/titanic?class=RandomForestClassifier&n_estimators=10&exclude=Sex")
    assert res.status_code == 200, res.text
    assert predict_rows(titanic_client, "/titanic", rows) == before
    assert titanic_client.get("/titanic?_model").json() == lr_params
    assert isinstance(final(downloaded_model(titanic_client, "/titanic")), LogisticRegression)
    # The seed endpoint's predictions are the ones a local LogisticRegression makes.
    model, _ = fit_titanic(titanic)
    X = roundtrip(rows)[titanic_features(titanic)]
    assert [r["Survived"] for r in before] == model.predict(X).tolist()

    assert titanic_client.post("/titanic?_action=train").status_code == 200
    assert titanic_client.get("/titanic?_model").json()["n_estimators"] == 10
    assert "Sex" not in list(downloaded_model(titanic_client, "/titanic").feature_names_in_)


def test_include_filters_features(blank_client, titanic):
    res = blank_client.put("/blank?class=LogisticRegression&target_col=Survived"
                           "&include=Sex&include=Age&include=Fare")
    assert res.status_code == 200, res.text
    assert res.json()["opts"]["include"] == ["Sex", "Age", "Fare"]
    res = post_csv(blank_client, "/blank?_action=train", titanic)
    assert res.status_code == 200, res.text

    data = roundtrip(titanic)
    features = ["Sex", "Age", "Fare"]
    used = used_rows(data, features, TARGET)
    local = local_model(LogisticRegression(), used[features]).fit(used[features], used[TARGET])
    assert res.json()["rows"] == len(used)
    assert res.json()["score"] == pytest.approx(
        accuracy_score(used[TARGET], local.predict(used[features])), abs=1e-9)

    model = downloaded_model(blank_client, "/blank")
    assert isinstance(model, Pipeline)  # Sex is not numeric
    assert list(model.feature_names_in_) == features
    attrs = blank_client.get("/blank?_params").json()["attrs"]
    assert attrs["n_features_in_"] == final(local).n_features_in_  # 2 sexes + Age + Fare = 4

    res = blank_client.get("/blank?Sex=female&Age=30&Fare=80")
    assert res.status_code == 200, res.text
    [row] = res.json()
    X = pd.DataFrame([{"Sex": "female", "Age": 30.0, "Fare": 80.0}])
    assert row["Survived"] == int(local.predict(X)[0])
    # The cache keeps every column.
    assert list(cache_frame(blank_client, "/blank").columns) == list(titanic.columns)


def test_exclude_filters_features_and_excluded_columns_are_not_needed(titanic_client, titanic):
    model = downloaded_model(titanic_client, "/titanic")
    assert list(model.feature_names_in_) == titanic_features(titanic)
    local, _ = fit_titanic(titanic)
    attrs = titanic_client.get("/titanic?_params").json()["attrs"]
    assert attrs["n_features_in_"] == final(local).n_features_in_

    res = titanic_client.put("/titanic?exclude=PassengerId&exclude=Ticket&exclude=Cabin"
                             "&exclude=Name&exclude=Fare&exclude=Parch")
    assert res.status_code == 200, res.text
    assert titanic_client.post("/titanic?_action=train").status_code == 200
    exclude = [*EXCLUDE, "Fare", "Parch"]
    features = titanic_features(titanic, exclude)
    assert list(downloaded_model(titanic_client, "/titanic").feature_names_in_) == features

    # A request without the excluded columns predicts.
    rows = titanic.iloc[:20][features]
    predicted = predict_rows(titanic_client, "/titanic", rows)
    local, _ = fit_titanic(titanic, exclude=exclude)
    assert [r["Survived"] for r in predicted] == local.predict(roundtrip(rows)).tolist()
    res = titanic_client.get("/titanic?Sex=female&Age=30&SibSp=0&Pclass=1&Embarked=C")
    assert res.status_code == 200, res.text
    assert len(res.json()) == 1


def test_cache_keeps_every_column_regardless_of_include_exclude(titanic_client, titanic):
    res = titanic_client.put("/titanic?include=Sex&include=Age&exclude=Age")
    assert res.status_code == 200, res.text
    subset = titanic.iloc[:200]
    assert post_csv(titanic_client, "/titanic?_action=train", subset).status_code == 200
    cache = cache_frame(titanic_client, "/titanic")
    assert list(cache.columns) == list(titanic.columns)
    assert len(cache) == 200
    assert cache["Name"].tolist() == subset["Name"].tolist()
    assert list(downloaded_model(titanic_client, "/titanic").feature_names_in_) == ["Sex"]


@pytest.mark.parametrize("how", ["exclude=species", "target_col=species"])
def test_pca_on_iris_matches_sklearn(make_client, iris, how):
    client = make_client(IRIS_YAML)
    res = client.put(f"/iris?class=PCA&n_components=2&{how}&drop_duplicates=false")
    assert res.status_code == 200, res.text
    res = client.post("/iris?_action=train")
    assert res.status_code == 200, res.text
    local = PCA(n_components=2).fit(iris[IRIS_NUMS])
    attrs = res.json()
    np.testing.assert_allclose(attrs["singular_values_"], local.singular_values_, rtol=1e-7)
    np.testing.assert_allclose(attrs["explained_variance_"], local.explained_variance_, rtol=1e-7)
    params = client.get("/iris?_params").json()["attrs"]
    np.testing.assert_allclose(params["singular_values_"], local.singular_values_, rtol=1e-7)
    assert not isinstance(downloaded_model(client, "/iris"), Pipeline)  # bare estimator, no scaling

    # Predict answers the transformed matrix.
    res = post_csv(client, "/iris?_action=predict", iris.iloc[:5])
    assert res.status_code == 200, res.text
    np.testing.assert_allclose(np.array(res.json()), local.transform(iris[IRIS_NUMS].iloc[:5]),
                               rtol=1e-6, atol=1e-9)


def test_pca_drops_duplicate_rows_by_default(blank_client, iris):
    assert blank_client.put("/blank?class=PCA&n_components=2&exclude=species").status_code == 200
    res = post_csv(blank_client, "/blank?_action=train", iris)
    assert res.status_code == 200, res.text
    local = PCA(n_components=2).fit(used_rows(iris, IRIS_NUMS, None))
    np.testing.assert_allclose(res.json()["singular_values_"], local.singular_values_, rtol=1e-7)


def test_delete_model_then_404_then_train_again(titanic_client, titanic):
    res = titanic_client.delete("/titanic?delete=model")
    assert res.status_code == 200, res.text
    for res in (
        titanic_client.get(f"/titanic?{ROW}"),
        post_csv(titanic_client, "/titanic?_action=predict", titanic.iloc[:3]),
        titanic_client.get("/titanic?_model"),
        titanic_client.get("/titanic?_download"),
    ):
        assert res.status_code == 404, res.text
        assert "train" in res.json()["error"].lower()
    assert titanic_client.get("/titanic?_params").json()["attrs"] == {}

    res = titanic_client.post("/titanic?_action=retrain")
    assert res.status_code == 200, res.text
    res = titanic_client.get(f"/titanic?{ROW}")
    assert res.status_code == 200, res.text
    model, _ = fit_titanic(titanic)
    X = pd.DataFrame([{"Pclass": 3, "Sex": "male", "Age": 22.0, "SibSp": 1, "Parch": 0,
                       "Fare": 7.25, "Embarked": "S"}])
    assert res.json()[0]["Survived"] == int(model.predict(X)[0])


def test_decision_tree_regressor_scores_r2_with_bare_estimator(make_client, iris):
    client = make_client(IRIS_YAML)
    res = client.put("/iris?class=DecisionTreeRegressor&max_depth=3&random_state=0"
                     "&target_col=petal_width&exclude=species")
    assert res.status_code == 200, res.text
    res = client.post("/iris?_action=train")
    assert res.status_code == 200, res.text
    features = ["sepal_length", "sepal_width", "petal_length"]
    used = used_rows(iris, features, "petal_width")
    local = DecisionTreeRegressor(max_depth=3, random_state=0).fit(used[features], used["petal_width"])
    answer = res.json()
    assert answer["metric"] == "r2"
    assert answer["rows"] == len(used)
    assert answer["score"] == pytest.approx(r2_score(used["petal_width"], local.predict(used[features])))
    model = downloaded_model(client, "/iris")
    assert isinstance(model, DecisionTreeRegressor)  # all features numeric, no cats/nums
    res = client.get("/iris?sepal_length=6.1&sepal_width=2.8&petal_length=4.7")
    assert res.status_code == 200, res.text
    X = pd.DataFrame([{"sepal_length": 6.1, "sepal_width": 2.8, "petal_length": 4.7}])
    assert res.json()[0]["petal_width"] == pytest.approx(float(local.predict(X)[0]))


def test_linear_regression_with_text_feature_is_wrapped(make_client, iris):
    client = make_client(IRIS_YAML)
    assert client.put("/iris?class=LinearRegression&target_col=petal_width").status_code == 200
    res = client.post("/iris?_action=train")
    assert res.status_code == 200, res.text
    features = ["sepal_length", "sepal_width", "petal_length", "species"]
    used = used_rows(iris, features, "petal_width")
    local = local_model(LinearRegression(), used[features]).fit(used[features], used["petal_width"])
    assert res.json()["metric"] == "r2"
    assert res.json()["score"] == pytest.approx(
        r2_score(used["petal_width"], local.predict(used[features])), abs=1e-9)
    model = downloaded_model(client, "/iris")
    assert isinstance(model, Pipeline)  # species is not numeric
    assert isinstance(final(model), LinearRegression)
    # The score action agrees with r2 on the cache.
    res = client.post("/iris?_action=score&_metric=r2")
    assert res.status_code == 200, res.text
    assert res.json()["score"] == pytest.approx(
        r2_score(iris["petal_width"], local.predict(iris[features])), abs=1e-9)


def test_kmeans_trains_and_predicts(make_client, iris):
    client = make_client(IRIS_YAML)
    res = client.put("/iris?class=KMeans&n_clusters=3&n_init=1&random_state=0&exclude=species")
    assert res.status_code == 200, res.text
    res = client.post("/iris?_action=train")
    assert res.status_code == 200, res.text
    used = used_rows(iris, IRIS_NUMS, None)
    local = KMeans(n_clusters=3, n_init=1, random_state=0).fit(used)
    np.testing.assert_allclose(res.json()["cluster_centers_"], local.cluster_centers_, rtol=1e-7)
    assert isinstance(downloaded_model(client, "/iris"), KMeans)
    res = post_csv(client, "/iris?_action=predict", iris.iloc[::10])
    assert res.status_code == 200, res.text
    assert np.ravel(res.json()).tolist() == local.predict(iris[IRIS_NUMS].iloc[::10]).tolist()


@pytest.mark.parametrize(("query", "wrapped"), [
    ("", False),                  # all numeric, no cats/nums → bare
    ("&nums=sepal_length", True),  # nums set → pipeline
    ("&cats=sepal_length", True),  # cats set → pipeline
    ("&nums=sepal_length&pipeline=false", False),  # pipeline: false never wraps
    ("&cats=sepal_length&pipeline=false", False),
])
def test_pipeline_wrapping(make_client, iris, query, wrapped):
    client = make_client(IRIS_YAML)
    res = client.put(f"/iris?class=LogisticRegression&target_col=species{query}")
    assert res.status_code == 200, res.text
    res = client.post("/iris?_action=train")
    assert res.status_code == 200, res.text
    model = downloaded_model(client, "/iris")
    assert isinstance(model, Pipeline) is wrapped
    assert isinstance(final(model), LogisticRegression)
    opts = dict(cats=["sepal_length"] if "cats=" in query else [],
                nums=["sepal_length"] if "nums=" in query else [],
                pipeline="pipeline=false" not in query)
    used = used_rows(iris, IRIS_NUMS, "species")
    local = local_model(LogisticRegression(), used[IRIS_NUMS], **opts).fit(used[IRIS_NUMS], used["species"])
    assert isinstance(local, Pipeline) is wrapped
    assert res.json()["score"] == pytest.approx(
        accuracy_score(used["species"], local.predict(used[IRIS_NUMS])), abs=1e-9)


def test_pipeline_false_with_text_features_does_not_wrap(blank_client, titanic):
    configure_titanic(blank_client, extra="&pipeline=false")
    res = post_csv(blank_client, "/blank?_action=train", titanic)
    # The raw estimator cannot fit text columns: a 400 naming the problem, never a wrapped model.
    assert res.status_code == 400, res.text
    assert "error" in res.json()
    assert blank_client.get("/blank?_download").status_code == 404


def test_column_in_both_cats_and_nums_is_400(titanic_client):
    before = titanic_client.get("/titanic?_params").json()
    res = titanic_client.put("/titanic?nums=Embarked")  # Embarked is already in cats
    assert res.status_code == 400, res.text
    assert "Embarked" in res.json()["error"]
    res = titanic_client.post("/titanic?_action=train&cats=Age&nums=Age")
    assert res.status_code == 400, res.text
    assert "Age" in res.json()["error"]
    assert titanic_client.get("/titanic?_params").json() == before


# --- PUT -----------------------------------------------------------------------------------------
def test_put_seed_random_forest(titanic_client):
    res = titanic_client.put("/titanic?class=RandomForestClassifier&n_estimators=10")
    assert res.status_code == 200, res.text
    answer = res.json()
    assert set(answer) == {"opts", "params", "transform"}
    assert answer["params"] == {"class": "RandomForestClassifier", "params": {"n_estimators": 10}}
    assert answer["opts"]["target_col"] == "Survived"
    assert titanic_client.get("/titanic?_params").json()["params"] == answer["params"]


def test_put_seed_sgd_classifier(titanic_client, titanic):
    res = titanic_client.put("/titanic?class=SGDClassifier&loss=log_loss")
    assert res.status_code == 200, res.text
    assert res.json()["params"] == {"class": "SGDClassifier", "params": {"loss": "log_loss"}}
    assert titanic_client.post("/titanic?_action=train").status_code == 200
    model_params = titanic_client.get("/titanic?_model").json()
    assert model_params == jsonable(SGDClassifier(loss="log_loss").get_params())


def test_put_seed_exclude_and_cats(titanic_client):
    res = titanic_client.put("/titanic?exclude=PassengerId&exclude=Name&cats=Embarked")
    assert res.status_code == 200, res.text
    answer = res.json()
    assert answer["opts"]["exclude"] == ["PassengerId", "Name"]
    assert answer["opts"]["cats"] == ["Embarked"]
    assert answer["params"]["class"] == "LogisticRegression"
    assert titanic_client.get("/titanic?_params").json()["opts"] == answer["opts"]


@pytest.mark.parametrize(("query", "name", "expected", "kind"), [
    ("class=LogisticRegression&C=0.5", "C", 0.5, float),
    ("class=LogisticRegression&C=2", "C", 2.0, float),
    ("class=LogisticRegression&fit_intercept=0", "fit_intercept", False, bool),
    ("class=LogisticRegression&fit_intercept=yes", "fit_intercept", True, bool),
    ("class=RandomForestClassifier&bootstrap=false", "bootstrap", False, bool),
    ("class=RandomForestClassifier&max_depth=3", "max_depth", 3, int),
    ("class=RandomForestClassifier&max_depth=none", "max_depth", None, type(None)),
    ("class=RandomForestClassifier&max_features=sqrt", "max_features", "sqrt", str),
])
def test_put_coerces_param_types(blank_client, query, name, expected, kind):
    res = blank_client.put(f"/blank?{query}")
    assert res.status_code == 200, res.text
    for stored in (res.json()["params"]["params"],
                   blank_client.get("/blank?_params").json()["params"]["params"]):
        assert stored[name] == expected
        assert type(stored[name]) is kind


def test_put_coerced_params_reach_the_model(titanic_client):
    res = titanic_client.put("/titanic?C=0.5&fit_intercept=0&max_iter=200")
    assert res.status_code == 200, res.text
    assert titanic_client.post("/titanic?_action=train").status_code == 200
    expected = jsonable(LogisticRegression(C=0.5, fit_intercept=False, max_iter=200).get_params())
    assert titanic_client.get("/titanic?_model").json() == expected
    lr = final(downloaded_model(titanic_client, "/titanic"))
    assert lr.C == 0.5 and lr.fit_intercept is False and lr.max_iter == 200


def test_put_list_options_take_repeated_keys(blank_client):
    res = blank_client.put("/blank?include=a&include=b&include=c&exclude=d&cats=a&nums=b&nums=c")
    assert res.status_code == 200, res.text
    opts = res.json()["opts"]
    assert opts["include"] == ["a", "b", "c"]
    assert opts["exclude"] == ["d"]
    assert opts["cats"] == ["a"]
    assert opts["nums"] == ["b", "c"]
    assert blank_client.get("/blank?_params").json()["opts"] == opts


@pytest.mark.parametrize(("word", "value"), [
    ("no", False), ("yes", True), ("0", False), ("1", True), ("false", False), ("true", True),
])
def test_put_boolean_options(blank_client, word, value):
    res = blank_client.put(f"/blank?dropna={word}&drop_duplicates={word}&pipeline={word}")
    assert res.status_code == 200, res.text
    opts = blank_client.get("/blank?_params").json()["opts"]
    assert opts["dropna"] is value
    assert opts["drop_duplicates"] is value
    assert opts["pipeline"] is value


def test_put_dropna_false_keeps_rows_with_missing_values(titanic_client, titanic):
    assert titanic_client.put("/titanic?dropna=no&drop_duplicates=no").status_code == 200
    res = titanic_client.post("/titanic?_action=train")
    assert res.status_code == 200, res.text
    data = roundtrip(titanic)
    features = titanic_features(data)
    used = used_rows(data, features, TARGET, dropna=False, drop_duplicates=False)
    assert res.json()["rows"] == len(titanic) == len(used)
    local = local_model(LogisticRegression(), used[features], cats=TITANIC_CATS)
    local.fit(used[features], used[TARGET])
    assert res.json()["score"] == pytest.approx(
        accuracy_score(used[TARGET], local.predict(used[features])), abs=1e-9)


def test_put_same_class_keeps_params_other_class_resets(blank_client):
    assert blank_client.put("/blank?class=RandomForestClassifier&n_estimators=10").status_code == 200
    res = blank_client.put("/blank?class=RandomForestClassifier&max_depth=3")
    assert res.status_code == 200, res.text
    assert res.json()["params"]["params"] == {"n_estimators": 10, "max_depth": 3}
    res = blank_client.put("/blank?class=RandomForestClassifier")
    assert res.json()["params"]["params"] == {"n_estimators": 10, "max_depth": 3}
    res = blank_client.put("/blank?min_samples_leaf=2")  # params without class: current class
    assert res.status_code == 200, res.text
    assert res.json()["params"]["params"] == {"n_estimators": 10, "max_depth": 3, "min_samples_leaf": 2}
    res = blank_client.put("/blank?class=ExtraTreesClassifier")
    assert res.status_code == 200, res.text
    assert res.json()["params"] == {"class": "ExtraTreesClassifier", "params": {}}


@pytest.mark.parametrize("query", [
    "bogus_param=1",
    "exclude=Fare&bogus_param=1",
    "class=RandomForestClassifier&bogus_param=1",
    "class=RandomForestClassifier&n_estimators=10&criterion=gini&bogus_param=1",
])
def test_put_unknown_param_is_400_and_stores_nothing(titanic_client, query):
    before = titanic_client.get("/titanic?_params").json()
    res = titanic_client.put(f"/titanic?{query}")
    assert res.status_code == 400, res.text
    assert "bogus_param" in res.json()["error"]
    assert titanic_client.get("/titanic?_params").json() == before


@pytest.mark.parametrize(("query", "name"), [
    ("C=-1", "C"),
    ("C=abc", "C"),
    ("exclude=Fare&C=-1", "C"),
    ("class=RandomForestClassifier&n_estimators=abc", "n_estimators"),
    ("class=RandomForestClassifier&n_estimators=0", "n_estimators"),
    ("class=RandomForestClassifier&max_depth=3.5", "max_depth"),
    ("class=RandomForestClassifier&criterion=nonsense", "criterion"),
])
def test_put_bad_value_is_400_and_stores_nothing(titanic_client, query, name):
    before = titanic_client.get("/titanic?_params").json()
    res = titanic_client.put(f"/titanic?{query}")
    assert res.status_code == 400, res.text
    assert name in res.json()["error"]
    assert titanic_client.get("/titanic?_params").json() == before


def test_put_params_without_any_class_is_400(blank_client):
    before = blank_client.get("/blank?_params").json()
    res = blank_client.put("/blank?C=0.5")
    assert res.status_code == 400, res.text
    assert "class" in res.json()["error"]
    assert blank_client.get("/blank?_params").json() == before


# --- DELETE --------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["delete=model", "_model"])
def test_delete_model(titanic_client, query):
    assert titanic_client.get(f"/titanic?{ROW}").status_code == 200
    res = titanic_client.delete(f"/titanic?{query}")
    assert res.status_code == 200, res.text
    res = titanic_client.get(f"/titanic?{ROW}")
    assert res.status_code == 404, res.text
    assert "error" in res.json()
    # The configuration and the data survive.
    assert titanic_client.get("/titanic?_params").json()["params"]["class"] == "LogisticRegression"
    assert len(titanic_client.get("/titanic?_cache").json()) > 0


@pytest.mark.parametrize("query", ["delete=cache", "_cache"])
def test_delete_cache(titanic_client, query):
    assert len(titanic_client.get("/titanic?_cache").json()) > 0
    res = titanic_client.delete(f"/titanic?{query}")
    assert res.status_code == 200, res.text
    assert titanic_client.get("/titanic?_cache").json() == []
    res = titanic_client.post("/titanic?_action=train")  # no data left to train on
    assert res.status_code == 400, res.text


def test_delete_opts_resets_named_options(titanic_client):
    res = titanic_client.put("/titanic?include=Sex&include=Age&include=Fare&dropna=false")
    assert res.status_code == 200, res.text
    res = titanic_client.delete("/titanic?delete=opts&_opts=include&_opts=exclude")
    assert res.status_code == 200, res.text
    opts = titanic_client.get("/titanic?_params").json()["opts"]
    assert opts["include"] == []
    assert opts["exclude"] == []
    assert opts["cats"] == TITANIC_CATS  # untouched
    assert opts["dropna"] is False  # untouched
    assert opts["target_col"] == "Survived"


@pytest.mark.parametrize("query", ["", "delete=foo", "delete=opts", "_opts=include", "foo=bar"])
def test_delete_anything_else_is_400(titanic_client, titanic, query):
    before = titanic_client.get("/titanic?_params").json()
    res = titanic_client.delete(f"/titanic?{query}" if query else "/titanic")
    assert res.status_code == 400, res.text
    assert "error" in res.json()
    assert titanic_client.get("/titanic?_params").json() == before
    assert titanic_client.get(f"/titanic?{ROW}").status_code == 200
    assert len(titanic_client.get("/titanic?_cache").json()) == len(titanic)

"""The scikit-learn backend: registration, kinds, parameter coercion, the preprocessing pipeline,
JSON-safe fitted attributes, and predictions that match the downloaded model."""

from __future__ import annotations

import io
import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, adjusted_rand_score, r2_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import all_estimators

from mlhandler.errors import BadRequest
from mlhandler.jsonsafe import json_safe
from mlhandler.options import ModelOptions
from mlhandler.plugins import Registry, get_plugin_manager
from mlhandler_sklearn.params import coerce_params
from mlhandler_sklearn.pipeline import wrap_estimator

TITANIC_EXCLUDE = ["PassengerId", "Name", "Ticket", "Cabin"]
TITANIC_OPTS = [("target_col", "Survived")] + [("exclude", c) for c in TITANIC_EXCLUDE]
TITANIC_FEATURES = ["Pclass", "Sex", "Age", "SibSp", "Parch", "Fare", "Embarked"]
IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def strict_json(text: str):
    """Parse JSON, refusing NaN/Infinity (not JSON, though Python's json accepts them)."""

    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def configure_and_train(client, path: str, cls: str, params: dict, opts: list) -> dict:
    query = [("class", cls), *[(k, str(v)) for k, v in params.items()], *opts]
    put = client.put(path, params=query)
    assert put.status_code == 200, put.text
    train = client.post(f"{path}?_action=train")
    assert train.status_code == 200, train.text
    return strict_json(train.text)


def downloaded(client, path: str):
    response = client.get(f"{path}?_download")
    assert response.status_code == 200, response.text
    return joblib.load(io.BytesIO(response.content))


def local_fit(estimator, data: pd.DataFrame, features: list[str], target: str | None = None):
    """`estimator` fitted here, independently of the plugin, as api.md §2.5 describes (no cats or
    nums given): training rows are the used columns with dropna + drop_duplicates; non-numeric
    features are imputed + one-hot encoded and numeric ones imputed + scaled, each group in the
    data's column order; a bare estimator when every feature is numeric."""
    frame = data[features + ([target] if target else [])].dropna().drop_duplicates()
    X = frame[features]
    cats = [c for c in features if not pd.api.types.is_numeric_dtype(X[c].dtype)]
    nums = [c for c in features if c not in cats]
    model = clone(estimator)
    if cats:
        parts = [("cats", Pipeline([
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]), cats)]
        if nums:
            parts.append(("nums", Pipeline([("impute", SimpleImputer()),
                                            ("scale", StandardScaler())]), nums))
        model = Pipeline([("transform", ColumnTransformer(parts)), ("estimator", model)])
    return model.fit(X, frame[target] if target else None)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(get_plugin_manager(disabled=set()))


# --- registration ----------------------------------------------------------------------------

KIND_ORDER = [("classifier", "classifier"), ("regressor", "regressor"),
              ("cluster", "clusterer"), ("transformer", "transformer")]


def test_every_sklearn_estimator_is_registered(registry):
    expected = {}
    for type_filter, _ in KIND_ORDER:
        for name, cls in all_estimators(type_filter=type_filter):
            expected[name] = cls
    provided = {n: s for n, s in registry.estimators.items() if s.plugin == "sklearn"}
    assert set(provided) == set(expected)
    assert len(provided) > 150
    for name, cls in expected.items():
        assert provided[name].factory is cls, name


def test_kinds_follow_sklearn_type(registry):
    # An estimator in several lists (e.g. KMeans is a cluster and a transformer) takes the first.
    kinds = {}
    for type_filter, kind in reversed(KIND_ORDER):
        for name, _ in all_estimators(type_filter=type_filter):
            kinds[name] = kind
    wrong = {n: (registry.estimators[n].kind, k) for n, k in kinds.items()
             if registry.estimators[n].kind != k}
    assert wrong == {}


@pytest.mark.parametrize("name, kind", [
    ("LogisticRegression", "classifier"),
    ("RandomForestClassifier", "classifier"),
    ("GaussianNB", "classifier"),
    ("Ridge", "regressor"),
    ("DecisionTreeRegressor", "regressor"),
    ("KMeans", "clusterer"),
    ("AgglomerativeClustering", "clusterer"),
    ("PCA", "transformer"),
    ("StandardScaler", "transformer"),
])
def test_kind_of_well_known_estimators(registry, name, kind):
    assert registry.estimators[name].kind == kind


# --- parameter coercion ----------------------------------------------------------------------

COERCIONS = [
    (LogisticRegression, {"C": "0.5"}, {"C": 0.5}),
    (LogisticRegression, {"C": "2"}, {"C": 2.0}),
    (LogisticRegression, {"fit_intercept": "false"}, {"fit_intercept": False}),
    (LogisticRegression, {"fit_intercept": "yes"}, {"fit_intercept": True}),
    (LogisticRegression, {"max_iter": "50"}, {"max_iter": 50}),
    (LogisticRegression, {"class_weight": "balanced"}, {"class_weight": "balanced"}),
    (LogisticRegression, {"class_weight": "none"}, {"class_weight": None}),
    (LogisticRegression, {"C": 0.25, "max_iter": 30}, {"C": 0.25, "max_iter": 30}),
    (RandomForestClassifier, {"max_depth": "none"}, {"max_depth": None}),
    (RandomForestClassifier, {"max_depth": "None"}, {"max_depth": None}),
    (RandomForestClassifier, {"max_depth": "3"}, {"max_depth": 3}),
    (RandomForestClassifier, {"bootstrap": "false"}, {"bootstrap": False}),
    (RandomForestClassifier, {"n_estimators": "10"}, {"n_estimators": 10}),
    (RandomForestClassifier, {"max_features": "0.5"}, {"max_features": 0.5}),
    (RandomForestClassifier, {"criterion": "entropy"}, {"criterion": "entropy"}),
    (RandomForestClassifier, {"max_depth": None}, {"max_depth": None}),
    (Ridge, {"alpha": "1e-3"}, {"alpha": 0.001}),
    (PCA, {"n_components": "2"}, {"n_components": 2}),
    (PCA, {"n_components": "0.95"}, {"n_components": 0.95}),
    (MLPClassifier, {"hidden_layer_sizes": "[5, 3]"}, {"hidden_layer_sizes": (5, 3)}),
    (MLPClassifier, {"hidden_layer_sizes": [5, 3]}, {"hidden_layer_sizes": (5, 3)}),
    (OneHotEncoder, {"categories": '[["a", "b"]]'}, {"categories": [["a", "b"]]}),
]


@pytest.mark.parametrize("cls, raw, expected", COERCIONS,
                         ids=[f"{c.__name__}-{r}" for c, r, _ in COERCIONS])
def test_coerce_params(cls, raw, expected):
    params = coerce_params(cls, raw)
    assert params == expected
    for key, value in expected.items():
        assert type(params[key]) is type(value), (key, params[key])
    cls(**params)  # and the class accepts them


BAD_PARAMS = [
    (LogisticRegression, {"nonsense": "1"}, "nonsense"),
    (LogisticRegression, {"C": "-1"}, "C"),
    (LogisticRegression, {"C": "abc"}, "C"),
    (LogisticRegression, {"fit_intercept": "maybe"}, "fit_intercept"),
    (RandomForestClassifier, {"criterion": "bogus"}, "criterion"),
    (RandomForestClassifier, {"max_depth": "deep"}, "max_depth"),
    (RandomForestClassifier, {"n_estimators": "0"}, "n_estimators"),
]


@pytest.mark.parametrize("cls, raw, named", BAD_PARAMS,
                         ids=[f"{c.__name__}-{r}" for c, r, _ in BAD_PARAMS])
def test_coerce_params_rejects_bad_params(cls, raw, named):
    with pytest.raises(BadRequest) as info:
        coerce_params(cls, raw)
    assert named in info.value.message
    assert info.value.status == 400


def test_put_casts_params_and_model_uses_them(titanic_client):
    query = [("class", "RandomForestClassifier"), ("n_estimators", "7"), ("max_depth", "none"),
             ("bootstrap", "false"), ("criterion", "entropy"), ("random_state", "0"), *TITANIC_OPTS]
    put = titanic_client.put("/titanic", params=query)
    assert put.status_code == 200, put.text
    assert put.json()["params"] == {
        "class": "RandomForestClassifier",
        "params": {"n_estimators": 7, "max_depth": None, "bootstrap": False,
                   "criterion": "entropy", "random_state": 0},
    }
    assert titanic_client.post("/titanic?_action=train").status_code == 200
    expected = RandomForestClassifier(
        n_estimators=7, max_depth=None, bootstrap=False, criterion="entropy", random_state=0
    ).get_params()
    assert titanic_client.get("/titanic?_model").json() == json.loads(json.dumps(json_safe(expected)))
    forest = downloaded(titanic_client, "/titanic")
    final = forest.steps[-1][1] if isinstance(forest, Pipeline) else forest
    assert (final.n_estimators, final.bootstrap, final.criterion) == (7, False, "entropy")
    assert len(final.estimators_) == 7


def test_put_tuple_param_from_json_list(iris_client):
    query = [("class", "MLPClassifier"), ("hidden_layer_sizes", "[5,3]"), ("max_iter", "50"),
             ("random_state", "0"), ("target_col", "species")]
    put = iris_client.put("/iris", params=query)
    assert put.status_code == 200, put.text
    assert put.json()["params"]["params"]["hidden_layer_sizes"] == [5, 3]
    assert iris_client.post("/iris?_action=train").status_code == 200
    model = downloaded(iris_client, "/iris")
    assert model.hidden_layer_sizes == (5, 3)
    coefs = iris_client.get("/iris?_params").json()["attrs"]["coefs_"]
    shapes = [np.asarray(c).shape for c in coefs]
    assert shapes == [(4, 5), (5, 3), (3, 3)]


@pytest.mark.parametrize("query, named", [
    ("class=LogisticRegression&nonsense=1", "nonsense"),
    ("class=LogisticRegression&C=-1", "C"),
    ("class=RandomForestClassifier&max_depth=deep", "max_depth"),
    ("class=RandomForestClassifier&criterion=bogus", "criterion"),
])
def test_put_bad_param_is_400_and_stores_nothing(titanic_client, query, named):
    before = titanic_client.put("/titanic?class=LogisticRegression&C=0.5")
    assert before.status_code == 200
    response = titanic_client.put(f"/titanic?{query}")
    assert response.status_code == 400
    assert named in response.json()["error"]
    stored = titanic_client.get("/titanic?_params").json()["params"]
    assert stored == {"class": "LogisticRegression", "params": {"C": 0.5}}


def test_put_new_class_resets_params(titanic_client):
    assert titanic_client.put("/titanic?class=RandomForestClassifier&n_estimators=5").status_code == 200
    response = titanic_client.put("/titanic?class=LogisticRegression")
    assert response.json()["params"] == {"class": "LogisticRegression", "params": {}}
    assert titanic_client.put("/titanic?class=LogisticRegression&C=0.3").status_code == 200
    # naming the same class again keeps the stored params
    same = titanic_client.put("/titanic?class=LogisticRegression")
    assert same.json()["params"]["params"] == {"C": 0.3}


# --- the preprocessing pipeline (api.md §2.5) ------------------------------------------------


def steps_by_column(model) -> dict[str, list]:
    """For a wrapped model: column -> the preprocessing objects applied to it, in order."""
    transform = next(step for _, step in model.steps if isinstance(step, ColumnTransformer))
    out = {}
    for _, transformer, columns in transform.transformers:
        chain = [s for _, s in transformer.steps] if isinstance(transformer, Pipeline) else [transformer]
        for column in columns:
            out[column] = chain
    return out


def test_wrap_bare_when_all_numeric_and_no_cats_nums(iris):
    estimator = LogisticRegression()
    model, cats = wrap_estimator(estimator, iris[IRIS_FEATURES], ModelOptions())
    assert model is estimator
    assert cats == []


def test_wrap_pipeline_when_a_column_is_text(titanic):
    estimator = LogisticRegression()
    X = titanic[["Sex", "Age", "Embarked"]]
    model, cats = wrap_estimator(estimator, X, ModelOptions())
    assert isinstance(model, Pipeline)
    assert model.steps[-1][1] is estimator
    assert sorted(cats) == ["Embarked", "Sex"]
    chains = steps_by_column(model)
    assert set(chains) == {"Sex", "Age", "Embarked"}
    for column in ("Sex", "Embarked"):
        kinds = [type(s).__name__ for s in chains[column]]
        assert kinds == ["SimpleImputer", "OneHotEncoder"], kinds
        assert chains[column][1].handle_unknown == "ignore"
    assert [type(s).__name__ for s in chains["Age"]] == ["SimpleImputer", "StandardScaler"]


def test_wrap_pipeline_when_nums_set_on_numeric_data(iris):
    estimator = PCA()
    model, cats = wrap_estimator(estimator, iris[IRIS_FEATURES], ModelOptions(nums=["sepal_length"]))
    assert isinstance(model, Pipeline)
    assert cats == []
    chains = steps_by_column(model)
    assert set(chains) == set(IRIS_FEATURES)  # numeric columns not listed are scaled too
    assert all(isinstance(chain[-1], StandardScaler) for chain in chains.values())


def test_wrap_pipeline_numeric_column_listed_in_cats(titanic):
    X = titanic[["Pclass", "Age", "Fare"]]
    model, cats = wrap_estimator(LogisticRegression(), X, ModelOptions(cats=["Pclass"]))
    assert cats == ["Pclass"]
    chains = steps_by_column(model)
    assert isinstance(chains["Pclass"][-1], OneHotEncoder)
    assert isinstance(chains["Age"][-1], StandardScaler)
    assert isinstance(chains["Fare"][-1], StandardScaler)


def test_wrap_pipeline_false_never_wraps(titanic):
    estimator = LogisticRegression()
    X = titanic[["Sex", "Age"]]
    model, cats = wrap_estimator(estimator, X, ModelOptions(pipeline=False, cats=["Sex"]))
    assert model is estimator
    assert cats == []


def test_wrapped_pipeline_ignores_unknown_categories_and_imputes(titanic):
    X = titanic[["Sex", "Age", "Embarked"]]
    y = titanic["Survived"]
    model, _ = wrap_estimator(LogisticRegression(), X, ModelOptions())
    model.fit(X, y)
    odd = pd.DataFrame({"Sex": ["alien"], "Age": [np.nan], "Embarked": ["Z"]})
    assert model.predict(odd).shape == (1,)
    transformed = model[:-1].transform(X)
    assert not np.isnan(transformed).any()


def test_pca_on_numeric_columns_fits_raw_values(iris_client, iris):
    result = configure_and_train(iris_client, "/iris", "PCA", {}, [("exclude", "species")])
    # training drops duplicate rows (drop_duplicates defaults to true) after excluding columns
    training = iris[IRIS_FEATURES].drop_duplicates()
    assert len(training) < len(iris)
    expected = PCA().fit(training).singular_values_
    np.testing.assert_allclose(result["singular_values_"], expected, rtol=1e-6)
    attrs = iris_client.get("/iris?_params").json()["attrs"]
    np.testing.assert_allclose(attrs["singular_values_"], expected, rtol=1e-6)


def test_pca_with_nums_is_scaled(iris_client, iris):
    opts = [("exclude", "species"), ("nums", "sepal_length")]
    result = configure_and_train(iris_client, "/iris", "PCA", {}, opts)
    scaled = StandardScaler().fit_transform(iris[IRIS_FEATURES].drop_duplicates())
    np.testing.assert_allclose(result["singular_values_"], PCA().fit(scaled).singular_values_,
                               rtol=1e-6)


def test_pipeline_false_over_http_trains_bare_estimator(iris_client):
    opts = [("target_col", "species"), ("nums", "sepal_length"), ("pipeline", "false")]
    configure_and_train(iris_client, "/iris", "LogisticRegression", {"max_iter": 300}, opts)
    assert isinstance(downloaded(iris_client, "/iris"), LogisticRegression)


def test_column_in_cats_and_nums_is_400(titanic_client):
    response = titanic_client.put("/titanic?cats=Age&nums=Age")
    assert response.status_code == 400
    assert "Age" in response.json()["error"]


# --- fitted attributes are JSON-safe ---------------------------------------------------------

FITTED = [
    # class, params, dataset, options, an attribute that must be present
    ("DecisionTreeClassifier", {"max_depth": 4}, "titanic", TITANIC_OPTS, "tree_"),
    ("RandomForestClassifier", {"n_estimators": 5}, "titanic", TITANIC_OPTS, "estimators_"),
    ("GradientBoostingClassifier", {"n_estimators": 5}, "titanic", TITANIC_OPTS, "estimators_"),
    ("ExtraTreesClassifier", {"n_estimators": 3}, "titanic", TITANIC_OPTS, "estimators_"),
    ("AdaBoostClassifier", {"n_estimators": 5}, "titanic", TITANIC_OPTS, "estimators_"),
    ("HistGradientBoostingClassifier", {"max_iter": 5}, "titanic", TITANIC_OPTS, "classes_"),
    ("GaussianNB", {}, "titanic", TITANIC_OPTS, "theta_"),
    ("SVC", {}, "titanic", TITANIC_OPTS, "support_vectors_"),
    ("KNeighborsClassifier", {}, "titanic", TITANIC_OPTS, "classes_"),
    ("MLPClassifier", {"max_iter": 50}, "titanic", TITANIC_OPTS, "coefs_"),
    ("LogisticRegression", {}, "titanic", TITANIC_OPTS, "coef_"),
    ("DecisionTreeRegressor", {"max_depth": 3}, "titanic",
     [("target_col", "Fare")] + [("exclude", c) for c in TITANIC_EXCLUDE], "tree_"),
    ("Ridge", {}, "iris", [("target_col", "petal_width"), ("exclude", "species")], "coef_"),
    ("LinearDiscriminantAnalysis", {}, "iris", [("target_col", "species")], "scalings_"),
    ("DecisionTreeClassifier", {}, "iris", [("target_col", "species")], "tree_"),
    ("KMeans", {"n_clusters": 3, "n_init": 1}, "iris", [("exclude", "species")], "cluster_centers_"),
    ("Birch", {"n_clusters": 3}, "iris", [("exclude", "species")], "subcluster_centers_"),
    ("AgglomerativeClustering", {"n_clusters": 3}, "iris", [("exclude", "species")], "labels_"),
    ("PCA", {}, "iris", [("exclude", "species")], "components_"),
    ("StandardScaler", {}, "iris", [("exclude", "species")], "scale_"),
]


@pytest.mark.parametrize("cls, params, dataset, opts, attr", FITTED,
                         ids=[f"{c}-{d}" for c, _, d, _, _ in FITTED])
def test_fitted_attrs_are_json_safe(request, cls, params, dataset, opts, attr):
    client = request.getfixturevalue(f"{dataset}_client")  # titanic_client or iris_client
    configure_and_train(client, f"/{dataset}", cls, params, opts)
    response = client.get(f"/{dataset}?_params")
    assert response.status_code == 200, response.text
    body = strict_json(response.text)
    assert body["params"]["class"] == cls
    assert attr in body["attrs"], sorted(body["attrs"])
    assert body["attrs"][attr] not in (None, [], {})
    page = client.get(f"/{dataset}")
    assert page.status_code == 200


def test_tree_and_forest_attrs_describe_the_trees(titanic_client):
    configure_and_train(titanic_client, "/titanic", "RandomForestClassifier",
                        {"n_estimators": 3, "random_state": 0}, TITANIC_OPTS)
    attrs = strict_json(titanic_client.get("/titanic?_params").text)["attrs"]
    forest = downloaded(titanic_client, "/titanic").steps[-1][1]
    assert len(attrs["estimators_"]) == 3
    assert attrs["classes_"] == [0, 1]
    assert attrs["n_features_in_"] == forest.n_features_in_
    for described, tree in zip(attrs["estimators_"], forest.estimators_, strict=True):
        assert "DecisionTreeClassifier" in json.dumps(described)
        assert str(tree.random_state) in json.dumps(described)


# --- predictions match the downloaded model --------------------------------------------------


@pytest.mark.parametrize("cls, params", [
    ("LogisticRegression", {}),
    ("RandomForestClassifier", {"n_estimators": 10, "random_state": 0}),
])
def test_titanic_predictions_equal_downloaded_model(titanic_client, titanic, cls, params):
    local_classes = {"LogisticRegression": LogisticRegression,
                     "RandomForestClassifier": RandomForestClassifier}
    configure_and_train(titanic_client, "/titanic", cls, params, TITANIC_OPTS)
    rows = titanic.head(80)
    assert rows["Age"].isna().any()  # rows with missing values are predicted too
    response = titanic_client.post(
        "/titanic?_action=predict", content=rows.to_json(orient="records"),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    answer = pd.DataFrame(response.json())
    assert len(answer) == len(rows)
    model = downloaded(titanic_client, "/titanic")
    expected = model.predict(rows[TITANIC_FEATURES])
    assert answer["Survived"].tolist() == expected.tolist()
    assert answer["Name"].tolist() == rows["Name"].tolist()
    # Independently: the same class with the same params (a fixed random_state where it is
    # random), fitted here on the same rows.
    local = local_fit(local_classes[cls](**params), titanic, TITANIC_FEATURES, "Survived")
    local_expected = local.predict(rows[TITANIC_FEATURES])
    assert answer["Survived"].tolist() == local_expected.tolist()

    one = titanic_client.get(
        "/titanic?Pclass=3&Sex=male&Age=22&SibSp=1&Parch=0&Fare=7.25&Embarked=S"
    )
    assert one.status_code == 200, one.text
    row = pd.DataFrame([{"Pclass": 3, "Sex": "male", "Age": 22.0, "SibSp": 1, "Parch": 0,
                         "Fare": 7.25, "Embarked": "S"}])
    assert one.json()[0]["Survived"] == model.predict(row).tolist()[0]
    assert one.json()[0]["Survived"] == local.predict(row).tolist()[0]

    score = titanic_client.post(
        "/titanic?_action=score", content=rows.to_json(orient="records"),
        headers={"Content-Type": "application/json"},
    )
    assert score.json()["metric"] == "accuracy"
    assert score.json()["score"] == pytest.approx(accuracy_score(rows["Survived"], expected))
    assert score.json()["score"] == pytest.approx(accuracy_score(rows["Survived"], local_expected))


def test_regressor_predictions_and_r2_equal_downloaded_model(iris_client, iris):
    opts = [("target_col", "petal_width"), ("exclude", "species")]
    configure_and_train(iris_client, "/iris", "Ridge", {"alpha": 0.5}, opts)
    rows = iris.head(30)
    response = iris_client.post("/iris?_action=predict", json=rows.to_dict(orient="records"))
    assert response.status_code == 200, response.text
    model = downloaded(iris_client, "/iris")
    features = ["sepal_length", "sepal_width", "petal_length"]
    expected = model.predict(rows[features])
    predicted = pd.DataFrame(response.json())["petal_width"]
    np.testing.assert_allclose(predicted, expected)
    # Independently: Ridge(alpha=0.5) fitted here on the same rows (all numeric: bare).
    local = local_fit(Ridge(alpha=0.5), iris, features, "petal_width")
    assert isinstance(local, Ridge)
    local_expected = local.predict(rows[features])
    np.testing.assert_allclose(predicted, local_expected)
    score = iris_client.post("/iris?_action=score", json=rows.to_dict(orient="records")).json()
    assert score["metric"] == "r2"
    assert score["score"] == pytest.approx(r2_score(rows["petal_width"], expected))
    assert score["score"] == pytest.approx(r2_score(rows["petal_width"], local_expected))


def test_kmeans_predictions_equal_downloaded_model(iris_client, iris):
    params = {"n_clusters": 3, "n_init": 1, "random_state": 0}
    configure_and_train(iris_client, "/iris", "KMeans", params, [("exclude", "species")])
    rows = iris.sample(25, random_state=1)
    response = iris_client.post("/iris?_action=predict", json=rows.to_dict(orient="records"))
    assert response.status_code == 200, response.text
    expected = downloaded(iris_client, "/iris").predict(rows[IRIS_FEATURES])
    assert response.json() == expected.tolist()
    # Independently: KMeans with the same params fitted here on the same rows. Cluster numbers
    # are arbitrary, so compare the partition of the rows, not the labels.
    local = local_fit(KMeans(**params), iris, IRIS_FEATURES).predict(rows[IRIS_FEATURES])
    assert len(set(local)) > 1
    assert adjusted_rand_score(local, response.json()) == pytest.approx(1.0)


def test_pca_predict_is_the_transform(iris_client, iris):
    configure_and_train(iris_client, "/iris", "PCA", {"n_components": 2}, [("exclude", "species")])
    rows = iris.head(10)
    response = iris_client.post("/iris?_action=predict", json=rows.to_dict(orient="records"))
    assert response.status_code == 200, response.text
    expected = downloaded(iris_client, "/iris").transform(rows[IRIS_FEATURES])
    assert np.asarray(response.json()).shape == (10, 2)
    np.testing.assert_allclose(response.json(), expected)
    # Independently: PCA(n_components=2) fitted here on the same rows (all numeric: bare).
    independent = local_fit(PCA(n_components=2), iris, IRIS_FEATURES).transform(rows[IRIS_FEATURES])
    # A component's sign is arbitrary: allow one sign flip per component (column), not per value.
    got = np.asarray(response.json())
    signs = np.sign((got * independent).sum(axis=0))
    assert set(signs) <= {-1.0, 1.0}, signs
    np.testing.assert_allclose(got, independent * signs, atol=1e-8)

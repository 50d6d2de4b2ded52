"""Every bad input of api.md §2 is a 4xx JSON error naming the problem; never a 500.
And no request can make the server import or call arbitrary code (api.md §2.7)."""

from __future__ import annotations

import sys

import pytest

from tests.helpers import IRIS_YAML, ROW, assert_error, post_csv


def params(client, path: str) -> dict:
    res = client.get(f"{path}?_params")
    assert res.status_code == 200, res.text
    return res.json()


def cache_len(client, path: str) -> int:
    res = client.get(f"{path}?_cache")
    assert res.status_code == 200, res.text
    return len(res.json())


# --- actions -------------------------------------------------------------------------------------
def test_unknown_action(titanic_client):
    res = titanic_client.post("/titanic?_action=fly", json=[{"Sex": "male"}])
    assert_error(res, 400, "fly", "train")


@pytest.mark.parametrize(("query", "word"), [
    ("_action=train&C=0.5", "C"),
    ("_action=retrain&n_estimators=10", "n_estimators"),
    ("_action=score&bogus=1", "bogus"),
    ("_action=append&target_col=Survived", "target_col"),
    ("_action=predict&bogus=1", "bogus"),
])
def test_unknown_query_keys_on_post_action(titanic_client, titanic, query, word):
    before = params(titanic_client, "/titanic")
    res = post_csv(titanic_client, f"/titanic?{query}", titanic.iloc[:5])
    assert_error(res, 400, word)
    assert params(titanic_client, "/titanic") == before
    assert cache_len(titanic_client, "/titanic") == len(titanic)


def test_train_with_no_class(blank_client, iris):
    res = post_csv(blank_client, "/blank?_action=train&target_col=species", iris)
    assert_error(res, 400, "class")
    assert blank_client.get("/blank?_cache").json() == []


def test_train_classifier_without_target(blank_client, iris):
    assert blank_client.put("/blank?class=LogisticRegression").status_code == 200
    res = post_csv(blank_client, "/blank?_action=train", iris)
    assert_error(res, 400, "target")
    assert blank_client.get("/blank?_download").status_code == 404


def test_train_with_target_not_in_data(titanic_client, titanic):
    before = params(titanic_client, "/titanic")
    res = titanic_client.post("/titanic?_action=train&target_col=Nope")
    assert_error(res, 400, "Nope")
    assert params(titanic_client, "/titanic") == before
    # A body without the stored target: 400, and the cache is not replaced.
    res = post_csv(titanic_client, "/titanic?_action=train", titanic.drop(columns=["Survived"]))
    assert_error(res, 400, "Survived")
    assert cache_len(titanic_client, "/titanic") == len(titanic)
    assert titanic_client.get(f"/titanic?{ROW}").status_code == 200


def test_train_with_no_data_at_all(blank_client):
    assert blank_client.put("/blank?class=LogisticRegression&target_col=species").status_code == 200
    assert_error(blank_client.post("/blank?_action=train"), 400, "data")
    assert_error(blank_client.post("/blank?_action=retrain"), 400, "data")


def test_score_with_no_cache_and_no_body(titanic_client):
    assert titanic_client.delete("/titanic?_cache").status_code == 200
    assert_error(titanic_client.post("/titanic?_action=score"), 400, "data")


def test_score_without_model_is_404(blank_client, titanic):
    res = post_csv(blank_client, "/blank?_action=score", titanic.iloc[:5])
    assert_error(res, 404, "train")


def test_unknown_metric(titanic_client):
    res = titanic_client.post("/titanic?_action=score&_metric=bogus_metric")
    assert_error(res, 400, "bogus_metric")


def test_score_with_unknown_target_override(titanic_client):
    res = titanic_client.post("/titanic?_action=score&target_col=Nope")
    assert_error(res, 400, "Nope")


# --- PUT -----------------------------------------------------------------------------------------
def test_unknown_class_lists_plugins(titanic_client):
    before = params(titanic_client, "/titanic")
    res = titanic_client.put("/titanic?class=NoSuchClassifier")
    assert_error(res, 400, "NoSuchClassifier", "sklearn")
    assert params(titanic_client, "/titanic") == before


def test_unknown_param(titanic_client):
    before = params(titanic_client, "/titanic")
    assert_error(titanic_client.put("/titanic?bogus_param=3"), 400, "bogus_param")
    assert params(titanic_client, "/titanic") == before


@pytest.mark.parametrize(("query", "word"), [
    ("C=-1", "C"),
    ("class=RandomForestClassifier&n_estimators=abc", "n_estimators"),
    ("solver=os.system", "solver"),
])
def test_bad_param_value(titanic_client, query, word):
    before = params(titanic_client, "/titanic")
    assert_error(titanic_client.put(f"/titanic?{query}"), 400, word)
    assert params(titanic_client, "/titanic") == before


def test_bad_boolean_option(titanic_client):
    before = params(titanic_client, "/titanic")
    assert_error(titanic_client.put("/titanic?dropna=maybe"), 400, "dropna")
    assert params(titanic_client, "/titanic") == before


def test_params_without_class(blank_client):
    assert_error(blank_client.put("/blank?C=0.5"), 400, "class")


def test_cats_and_nums_overlap(titanic_client):
    before = params(titanic_client, "/titanic")
    assert_error(titanic_client.put("/titanic?cats=Age&nums=Age"), 400, "Age")
    assert params(titanic_client, "/titanic") == before


def test_include_naming_a_missing_column(titanic_client):
    before = params(titanic_client, "/titanic")
    res = titanic_client.post("/titanic?_action=train&include=Nope&include=Age")
    assert_error(res, 400, "Nope")
    assert params(titanic_client, "/titanic") == before


def test_cats_naming_a_missing_column(titanic_client):
    res = titanic_client.post("/titanic?_action=train&cats=Nope")
    assert_error(res, 400, "Nope")


def test_no_features_left(titanic_client):
    res = titanic_client.post("/titanic?_action=train&include=Survived")
    assert_error(res, 400, "feature")


# --- predicting and bodies -----------------------------------------------------------------------
@pytest.mark.parametrize("request_", ["get", "post", "_model", "_download"])
def test_needs_a_model(blank_client, iris, request_):
    if request_ == "get":
        res = blank_client.get("/blank?sepal_length=1&sepal_width=2")
    elif request_ == "post":
        res = post_csv(blank_client, "/blank?_action=predict", iris.iloc[:3])
    else:
        res = blank_client.get(f"/blank?{request_}")
    assert_error(res, 404, "train")


def test_predict_without_body(titanic_client):
    assert_error(titanic_client.post("/titanic?_action=predict"), 400, "body")
    assert_error(titanic_client.post("/titanic"), 400, "body")


def test_append_without_body(titanic_client, titanic):
    assert_error(titanic_client.post("/titanic?_action=append"), 400, "body")
    assert cache_len(titanic_client, "/titanic") == len(titanic)


def test_unparseable_json_body(titanic_client, titanic):
    res = titanic_client.post("/titanic?_action=train", content=b"[{not json",
                              headers={"Content-Type": "application/json"})
    assert_error(res, 400, "JSON")
    res = titanic_client.post("/titanic?_action=append", content=b"[1, 2, 3]",
                              headers={"Content-Type": "application/json"})
    assert_error(res, 400, "JSON")
    assert cache_len(titanic_client, "/titanic") == len(titanic)


def test_unsupported_content_type(titanic_client):
    res = titanic_client.post("/titanic?_action=predict", content=b"<rows/>",
                              headers={"Content-Type": "application/xml"})
    assert_error(res, 400, "xml")


def test_unknown_upload_type(titanic_client):
    files = {"file": ("data.exe", b"Sex,Age\nmale,22\n", "application/octet-stream")}
    assert_error(titanic_client.post("/titanic?_action=predict", files=files), 400, "data.exe")


def test_empty_upload(titanic_client, titanic):
    files = {"file": ("data.csv", b"", "text/csv")}
    assert_error(titanic_client.post("/titanic?_action=append", files=files), 400, "data.csv")
    assert cache_len(titanic_client, "/titanic") == len(titanic)


def test_multipart_without_file(titanic_client):
    res = titanic_client.post("/titanic?_action=predict", data={"Sex": "male"},
                              files={"note": (None, b"hello")})
    assert_error(res, 400, "file")


def test_predict_with_missing_columns(titanic_client, titanic):
    rows = titanic.iloc[:3].drop(columns=["Sex", "Fare"])
    assert_error(post_csv(titanic_client, "/titanic?_action=predict", rows), 400, "Sex", "Fare")
    res = titanic_client.get("/titanic?Age=22&SibSp=1&Parch=0&Fare=7.25&Pclass=3&Embarked=S")
    assert_error(res, 400, "Sex")


def test_value_that_cannot_be_cast(titanic_client):
    res = titanic_client.get("/titanic?Sex=male&Age=old&SibSp=1&Parch=0&Fare=7.25&Pclass=3&Embarked=S")
    assert_error(res, 400, "Age", "old")
    res = titanic_client.post("/titanic?_action=predict", json=[
        {"Sex": "male", "Age": 22, "SibSp": "one", "Parch": 0, "Fare": 7.25, "Pclass": 3, "Embarked": "S"}
    ])
    assert_error(res, 400, "SibSp")


def test_get_features_repeated_unevenly(titanic_client):
    res = titanic_client.get(f"/titanic?{ROW}&Age=30")
    assert_error(res, 400, "Age")


def test_unknown_format(titanic_client):
    assert_error(titanic_client.get("/titanic?_model&_format=bogusfmt"), 400, "bogusfmt")


# --- HTTP level ----------------------------------------------------------------------------------
def test_patch_is_json_405(titanic_client):
    res = titanic_client.patch("/titanic", json={})
    assert_error(res, 405, "PATCH")


def test_unknown_path_is_json_404(titanic_client):
    assert_error(titanic_client.get("/no/such/endpoint"), 404, "/no/such/endpoint")


@pytest.mark.parametrize("query", ["", "delete=foo", "delete=opts", "delete=opts&_opts=bogus_opt"])
def test_bad_delete(titanic_client, query):
    before = params(titanic_client, "/titanic")
    res = titanic_client.delete(f"/titanic?{query}" if query else "/titanic")
    assert_error(res, 400)
    assert params(titanic_client, "/titanic") == before


# --- safety (api.md §2.7) --------------------------------------------------------------------------
@pytest.fixture
def evil_module(workdir):
    """A module in the YAML folder (importable, like a user's transform module) whose import leaves
    a marker file. Unique per test so that sys.modules never hides an import."""
    name = f"evil_{abs(hash(str(workdir))):x}"
    marker = workdir / "IMPORTED"
    (workdir / f"{name}.py").write_text(
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('imported')\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "class Boom(LogisticRegression):\n"
        "    pass\n"
        "def clean(data):\n"
        f"    pathlib.Path({str(marker)!r}).write_text('called')\n"
        "    return data\n"
    )
    yield name, marker
    sys.modules.pop(name, None)


@pytest.mark.parametrize("cls", [
    "os.system",
    "sklearn.linear_model.LogisticRegression.__init__",
    "builtins.eval",
    "subprocess.Popen",
    "EVIL.Boom",
    "EVIL.clean",
])
def test_put_class_never_imports_or_calls_a_dotted_path(blank_client, evil_module, cls):
    name, marker = evil_module
    cls = cls.replace("EVIL", name)
    before = params(blank_client, "/blank")
    res = blank_client.put(f"/blank?class={cls}&target_col=species")
    assert_error(res, 400, cls)
    assert params(blank_client, "/blank") == before
    assert not marker.exists()
    assert name not in sys.modules


def test_put_class_with_eval_param_is_rejected(blank_client, evil_module):
    name, marker = evil_module
    before = params(blank_client, "/blank")
    res = blank_client.put(f"/blank?class=builtins.eval&source=__import__('{name}')")
    assert res.status_code == 400, res.text
    assert params(blank_client, "/blank") == before
    assert not marker.exists()


@pytest.mark.parametrize("key", ["transform", "data", "path", "url"])
def test_post_train_cannot_name_code_or_files(make_client, evil_module, key):
    name, marker = evil_module
    client = make_client(IRIS_YAML)
    assert client.put("/iris?class=LogisticRegression&target_col=species").status_code == 200
    res = client.post(f"/iris?_action=train&{key}={name}.clean")
    assert_error(res, 400, key)
    assert not marker.exists()
    assert name not in sys.modules
    assert client.get("/iris?_download").status_code == 404  # nothing trained


@pytest.mark.parametrize("key", ["transform", "path"])
def test_put_cannot_name_code_or_files(titanic_client, evil_module, workdir, key):
    name, marker = evil_module
    before = params(titanic_client, "/titanic")
    value = f"{name}.clean" if key == "transform" else str(workdir / "models" / "other.pkl")
    res = titanic_client.put(f"/titanic?{key}={value}")
    assert_error(res, 400, key)
    assert params(titanic_client, "/titanic") == before
    assert not marker.exists()


def test_no_500_anywhere(titanic_client, titanic):
    """A sweep of odd requests: each answers with a JSON 4xx, never a 500."""
    requests = [
        ("post", "/titanic?_action=", None),
        ("post", "/titanic?_action=train&_action=score", None),
        ("post", "/titanic?_action=score&_metric=", None),
        ("post", "/titanic?_action=train&dropna=perhaps", None),
        ("post", "/titanic?_action=predict", b"{}"),
        ("post", "/titanic?_action=predict", b"[]"),
        ("post", "/titanic?_action=predict", b'{"a": [1, 2], "b": [1]}'),
        ("post", "/titanic?_action=append", b"a,b\n1,2\n"),
        ("put", "/titanic?class=", None),
        ("put", "/titanic?class=RandomForestClassifier&n_estimators=[1,2]", None),
        ("put", "/titanic?class=LogisticRegression&C={}", None),
        ("put", "/titanic?_opts=include", None),
        ("delete", "/titanic?delete=opts&_opts=", None),
        ("get", "/titanic?Sex=&Age=&SibSp=&Parch=&Fare=&Pclass=&Embarked=", None),
    ]
    for method, url, body in requests:
        kwargs = {"content": body, "headers": {"Content-Type": "application/json"}} if body else {}
        res = getattr(titanic_client, method)(url, **kwargs)
        assert res.status_code != 500, f"{method.upper()} {url}: {res.text}"
        if res.status_code >= 400:
            assert "error" in res.json(), f"{method.upper()} {url}: {res.text}"

"""Edge cases found in review: request-driven safety, failed DELETEs that must change nothing,
startup reconciliation, predictions that never queue behind mutations, estimators that cannot do
what is asked, odd data types, exact round-trips, and predict options. Every error is a 4xx JSON
`{"error": ...}`, never a 500 (api.md §2)."""

from __future__ import annotations

import importlib
import io
import json
import math
import re
import threading
import uuid

import httpx2
import joblib
import numpy as np
import openpyxl
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import KernelCenterer
from sklearn.utils import all_estimators

from mlhandler.errors import ConfigError
from tests.conftest import current_files
from tests.helpers import (
    BLANK_YAML,
    ROW,
    TITANIC_YAML,
    assert_error,
    expected_survived,
    live_server,
    post_csv,
    wait_for,
)

IRIS_ROW = "sepal_length=5.1&sepal_width=3.5&petal_length=1.4&petal_width=0.2"
TITANIC_MODEL = """
        target_col: Survived
        exclude: [PassengerId, Ticket, Cabin, Name]
        cats: [Embarked, Sex, Pclass]"""

def titanic_yaml(model_head: str) -> str:
    """A titanic endpoint with data, whose model section starts with `model_head` (class, params)."""
    return f"""
url:
  titanic:
    pattern: /titanic
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/titanic
      data:
        url: $YAMLPATH/titanic.csv
      model:
{model_head}{TITANIC_MODEL}
"""


# --- helpers -------------------------------------------------------------------------------------
def assert_ok(res):
    assert res.status_code == 200, f"{res.status_code}: {res.text}"
    return res.json()


def params(client, path: str) -> dict:
    return assert_ok(client.get(f"{path}?_params"))


def post_json(client, url: str, payload):
    return client.post(url, content=json.dumps(payload), headers={"Content-Type": "application/json"})


def configure(client, path: str, query: str) -> dict:
    return assert_ok(client.put(f"{path}?{query}"))


# --- 1. safety: parameters that reach the file system ---------------------------------------------
@pytest.mark.parametrize("cls", ["AgglomerativeClustering", "FeatureAgglomeration"])
def test_memory_param_is_refused(titanic_client, workdir, cls):
    before = params(titanic_client, "/titanic")
    target = workdir / "somewhere"
    res = titanic_client.put(f"/titanic?class={cls}&memory={target}")
    assert_error(res, 400)
    assert params(titanic_client, "/titanic") == before
    assert not target.exists()
    # The old model still serves.
    assert titanic_client.get(f"/titanic?{ROW}").status_code == 200


@pytest.mark.parametrize("cls", ["HashingVectorizer", "CountVectorizer", "TfidfVectorizer"])
def test_input_filename_is_refused(titanic_client, cls):
    before = params(titanic_client, "/titanic")
    assert_error(titanic_client.put(f"/titanic?class={cls}&input=filename"), 400)
    assert params(titanic_client, "/titanic") == before


SKLEARN_TRANSFORMERS = {name for name, _ in all_estimators(type_filter="transformer")}


@pytest.mark.parametrize("cls, listed, reason", [
    # scikit-learn lists it as a transformer, but it takes one column of raw text, not a table.
    ("HashingVectorizer", True, "raw text"),
    # Not a transformer in scikit-learn's own lists: no backend provides it.
    ("CountVectorizer", False, "No backend provides"),
    ("TfidfVectorizer", False, "No backend provides"),
])
def test_input_content_allowed_only_for_supported_classes(titanic_client, cls, listed, reason):
    assert (cls in SKLEARN_TRANSFORMERS) is listed
    before = params(titanic_client, "/titanic")
    res = titanic_client.put(f"/titanic?class={cls}&input=content")
    # The class is not supported at all: the refusal is about the class, not `input`.
    message = assert_error(res, 400, cls, reason)["error"]
    assert "filename" not in message and "input" not in message, message
    assert params(titanic_client, "/titanic") == before
    # The same refusal without `input`: the class itself is what is refused.
    assert assert_error(titanic_client.put(f"/titanic?class={cls}"), 400)["error"] == message
    assert params(titanic_client, "/titanic") == before


# --- 2. a DELETE with a bad option changes nothing ---------------------------------------------
def test_delete_with_bad_opt_name_changes_nothing(titanic_client, make_client):
    before = params(titanic_client, "/titanic")
    predicted = assert_ok(titanic_client.get(f"/titanic?{ROW}"))
    res = titanic_client.delete("/titanic?delete=model&delete=opts&_opts=bogus")
    assert_error(res, 400, "bogus")
    assert params(titanic_client, "/titanic") == before
    assert assert_ok(titanic_client.get(f"/titanic?{ROW}")) == predicted
    assert titanic_client.get("/titanic?_download").status_code == 200
    # A restart finds the model and serves it.
    restarted = make_client(TITANIC_YAML)  # the titanic_client fixture's YAML
    assert assert_ok(restarted.get(f"/titanic?{ROW}")) == predicted
    assert restarted.get("/titanic?_download").status_code == 200


# --- 3. startup training needs data and class in the YAML itself ---------------------------------
def test_blank_endpoint_with_class_and_cache_restarts_without_training(
    blank_client, make_client, iris
):
    configure(blank_client, "/blank", "class=LogisticRegression")
    assert assert_ok(post_csv(blank_client, "/blank?_action=append", iris))["rows"] == len(iris)
    restarted = make_client(BLANK_YAML)  # must not raise: no target_col, no startup training
    stored = params(restarted, "/blank")
    assert stored["params"]["class"] == "LogisticRegression"
    assert len(assert_ok(restarted.get("/blank?_cache"))) == len(iris)
    assert_error(restarted.get(f"/blank?{IRIS_ROW}"), 404)


# --- 4. reconciliation at startup ------------------------------------------------------------------
def test_yaml_class_change_takes_the_yamls_whole_params(make_client):
    first = make_client(titanic_yaml(
        "        class: LogisticRegression\n        params: {C: 0.5, max_iter: 500}"
    ))
    assert params(first, "/titanic")["params"]["params"] == {"C": 0.5, "max_iter": 500}
    second = make_client(titanic_yaml(
        "        class: SGDClassifier\n        params: {max_iter: 500, loss: log_loss}"
    ))
    stored = params(second, "/titanic")["params"]
    assert stored == {"class": "SGDClassifier", "params": {"max_iter": 500, "loss": "log_loss"}}
    model = assert_ok(second.get("/titanic?_model"))
    assert model["loss"] == "log_loss" and model["max_iter"] == 500
    assert "C" not in model
    assert second.get(f"/titanic?{ROW}").status_code == 200


def test_yaml_model_edit_wins_over_http_class(make_client):
    client = make_client(titanic_yaml("        class: LogisticRegression\n        params: {C: 1}"))
    configure(client, "/titanic", "class=RandomForestClassifier&n_estimators=5")
    assert params(client, "/titanic")["params"]["class"] == "RandomForestClassifier"
    restarted = make_client(titanic_yaml("        class: LogisticRegression\n        params: {C: 2}"))
    stored = params(restarted, "/titanic")["params"]
    assert stored["class"] == "LogisticRegression"
    assert stored["params"] == {"C": 2}
    model = assert_ok(restarted.get("/titanic?_model"))
    assert model["C"] == 2
    assert "n_estimators" not in model
    assert restarted.get(f"/titanic?{ROW}").status_code == 200


# --- 5. predictions never wait behind queued mutations -------------------------------------------
BLOCKING_MODULE = """
import threading

EVENT = threading.Event()
STARTED = threading.Event()


def clean(data):
    if "block" in data.columns:
        STARTED.set()
        EVENT.wait(30)
        return data.drop(columns="block")
    return data
"""


@pytest.mark.parametrize("queued", [10, 45])
def test_predictions_do_not_wait_for_queued_mutations(make_client, workdir, titanic, queued):
    module_name = f"blocker_{uuid.uuid4().hex}"
    (workdir / f"{module_name}.py").write_text(BLOCKING_MODULE)
    yaml_text = f"""
url:
  titanic:
    pattern: /titanic
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/titanic
      data:
        url: $YAMLPATH/titanic.csv
        transform: {module_name}.clean
      model:
        class: LogisticRegression
        target_col: Survived
        exclude: [PassengerId, Ticket, Cabin, Name]
        cats: [Embarked, Sex, Pclass]
  iris:
    pattern: /iris
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/iris
      data:
        url: $YAMLPATH/iris.csv
      model:
        class: LogisticRegression
        target_col: species
"""
    app = make_client(yaml_text).app
    endpoint = app.state.endpoints["titanic"]
    module = importlib.import_module(module_name)
    event, started = module.EVENT, module.STARTED
    rows = titanic.head(3).assign(block=1)
    responses: dict = {"puts": []}
    lock = threading.Lock()

    with live_server(app) as (base, server):

        def append():
            with httpx2.Client(base_url=base, timeout=60) as http:
                responses["append"] = http.post(
                    "/titanic?_action=append", content=rows.to_csv(index=False).encode(),
                    headers={"Content-Type": "text/csv"},
                )

        def put():
            with httpx2.Client(base_url=base, timeout=60) as http:
                res = http.put("/titanic?C=0.5")
            with lock:
                responses["puts"].append(res)

        appender = threading.Thread(target=append, daemon=True)
        putters = [threading.Thread(target=put, daemon=True) for _ in range(queued)]
        try:
            appender.start()
            assert started.wait(20), "the append never reached the transform"
            for thread in putters:
                thread.start()
            # The append holds the endpoint (blocked in its transform). Wait until every PUT has
            # reached the server (one open connection each, plus the append's) and is queued behind
            # it on the endpoint's mutation executor, not yet answered.
            assert wait_for(
                lambda: len(server.server_state.connections) >= queued + 1
                and endpoint.executor._work_queue.qsize() >= queued,
                30,
            ), (
                f"the PUTs never queued: {len(server.server_state.connections)} connections, "
                f"{endpoint.executor._work_queue.qsize()} queued mutations"
            )
            assert not event.is_set() and "append" not in responses
            with lock:
                assert responses["puts"] == [], "a PUT was answered before the append finished"
            with httpx2.Client(base_url=base, timeout=20) as http:
                try:
                    predicted = http.get(f"/titanic?{ROW}")
                    described = http.get("/iris?_params")
                except httpx2.TimeoutException:
                    pytest.fail("a read request waited behind queued mutations")
            assert predicted.status_code == 200, predicted.text
            # The seed model (the transform leaves data without `block` as it is), fitted locally.
            assert [row["Survived"] for row in predicted.json()] == expected_survived(titanic, ROW)
            assert described.status_code == 200, described.text
            assert "append" not in responses, "the append did not block: the test proves nothing"
            # The predictions were answered while every PUT was still queued.
            assert endpoint.executor._work_queue.qsize() == queued
            with lock:
                assert responses["puts"] == []
        finally:
            event.set()
            appender.join(60)
            for thread in putters:
                thread.join(60)

    assert responses["append"].status_code == 200, responses["append"].text
    assert responses["append"].json()["appended"] == len(rows)
    assert [r.status_code for r in responses["puts"]] == [200] * queued


# --- 6. estimators that cannot do what is asked ---------------------------------------------------
def test_dbscan_cannot_predict_new_rows(blank_client, iris):
    configure(blank_client, "/blank", "class=DBSCAN&exclude=species")
    assert_ok(post_csv(blank_client, "/blank?_action=train", iris))
    features = iris.drop(columns=["species"]).head(3)
    assert_error(post_csv(blank_client, "/blank?_action=predict", features), 400, "predict")
    assert_error(blank_client.get(f"/blank?{IRIS_ROW}"), 400, "predict")


def test_transformer_cannot_score_accuracy(blank_client, iris):
    configure(blank_client, "/blank", "class=PCA&exclude=species")
    assert_ok(post_csv(blank_client, "/blank?_action=train", iris))
    res = blank_client.post("/blank?_action=score&_metric=accuracy&target_col=species")
    assert_error(res, 400, "accuracy")


def test_regressor_cannot_score_roc_auc(blank_client, iris):
    configure(blank_client, "/blank", "class=LinearRegression&target_col=petal_width&exclude=species")
    assert_ok(post_csv(blank_client, "/blank?_action=train", iris))
    assert_error(blank_client.post("/blank?_action=score&_metric=roc_auc"), 400, "roc_auc")
    # The default metric still works.
    assert assert_ok(blank_client.post("/blank?_action=score"))["metric"] == "r2"


# --- 7. unsupported classes are refused at PUT ----------------------------------------------------
@pytest.mark.parametrize(
    "cls", ["LabelEncoder", "DictVectorizer", "LabelBinarizer", "MultiLabelBinarizer", "FeatureHasher"]
)
def test_unsupported_class_refused(titanic_client, cls):
    before = params(titanic_client, "/titanic")
    assert_error(titanic_client.put(f"/titanic?class={cls}"), 400, cls)
    assert params(titanic_client, "/titanic") == before


def test_kernel_centerer_refused_or_works(blank_client, iris):
    # A scikit-learn transformer (api.md §3): served, and it works end to end.
    stored = configure(blank_client, "/blank", "class=KernelCenterer&exclude=species")
    assert stored["params"] == {"class": "KernelCenterer", "params": {}}
    square = iris.drop(columns=["species"]).head(4).to_numpy()
    kernel = pd.DataFrame(square @ square.T, columns=["k0", "k1", "k2", "k3"])
    # Every feature is numeric, no cats/nums: fitted on the columns as they are.
    local = KernelCenterer().fit(kernel)
    trained = assert_ok(post_csv(blank_client, "/blank?_action=train", kernel))
    np.testing.assert_allclose(trained["K_fit_rows_"], local.K_fit_rows_)
    assert trained["K_fit_all_"] == pytest.approx(local.K_fit_all_)
    out = assert_ok(post_csv(blank_client, "/blank?_action=predict", kernel))
    assert np.asarray(out).shape == (len(kernel), kernel.shape[1])
    np.testing.assert_allclose(out, local.transform(kernel), atol=1e-9)


@pytest.mark.parametrize("cls", ["VotingClassifier", "StackingClassifier"])
def test_meta_estimator_needing_estimators_refused(titanic_client, cls):
    before = params(titanic_client, "/titanic")
    assert_error(titanic_client.put(f"/titanic?class={cls}"), 400, "estimator")
    assert params(titanic_client, "/titanic") == before


# --- 8. bad data types -----------------------------------------------------------------------------
def test_mixed_string_and_number_column(blank_client):
    configure(blank_client, "/blank", "class=LogisticRegression&target_col=y")
    res = post_json(blank_client, "/blank?_action=train", {"a": ["x", 1, "y", 2], "y": [0, 1, 0, 1]})
    # A 400 that names the problem: column 'a' mixes text and numbers.
    assert_error(res, 400, "'a'", "text and numbers")
    # The train failed as a whole: no model, and the body did not become the training data.
    assert_error(blank_client.get("/blank?a=x"), 404)
    assert blank_client.get("/blank?_download").status_code == 404
    assert assert_ok(blank_client.get("/blank?_cache")) == []


def test_object_column_refused(blank_client):
    configure(blank_client, "/blank", "class=LogisticRegression&target_col=y")
    rows = [{"a": {"k": i}, "y": i % 2} for i in range(6)]
    assert_error(post_json(blank_client, "/blank?_action=train", rows), 400, "'a'")
    assert blank_client.get("/blank?_download").status_code == 404


# --- 9. xlsx with numeric header cells ---------------------------------------------------------------
def test_xlsx_with_numeric_headers(blank_client):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([1, 2, "y"])
    for i in range(12):
        sheet.append([i, (i * 7) % 5, int(i >= 6)])
    buffer = io.BytesIO()
    book.save(buffer)
    configure(blank_client, "/blank", "class=LogisticRegression&target_col=y")
    files = {"file": ("data.xlsx", buffer.getvalue(),
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    assert_ok(blank_client.post("/blank?_action=train", files=files))
    cache = assert_ok(blank_client.get("/blank?_cache"))
    assert list(cache[0]) == ["1", "2", "y"]
    got = assert_ok(blank_client.get("/blank?1=11&2=3"))
    assert got[0]["y"] in (0, 1)
    posted = assert_ok(post_json(blank_client, "/blank?_action=predict", [{"1": 11, "2": 3}]))
    assert posted[0]["y"] == got[0]["y"]


# --- 10. _model as CSV ----------------------------------------------------------------------------
def test_model_params_as_csv(titanic_client):
    res = titanic_client.get("/titanic?_model&_format=csv")
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(res.text))
    expected = LogisticRegression().get_params()
    assert len(frame) == 1
    assert set(frame.columns) == set(expected)
    assert frame.loc[0, "C"] == expected["C"]
    assert frame.loc[0, "max_iter"] == expected["max_iter"]


# --- 11. sparse outputs come back as numbers -------------------------------------------------------
COLORS = {"color": ["red", "green", "blue", "red", "green", "blue"]}


def assert_number_matrix(out, rows: int) -> None:
    assert isinstance(out, list) and len(out) == rows, out
    for row in out:
        assert isinstance(row, list) and row, out
        for value in row:
            assert isinstance(value, int | float) and not isinstance(value, bool), out
            assert value in (0, 1), out


def test_one_hot_encoder_returns_numbers(blank_client):
    configure(blank_client, "/blank", "class=OneHotEncoder")
    assert_ok(post_json(blank_client, "/blank?_action=train", COLORS))
    out = assert_ok(post_json(blank_client, "/blank?_action=predict",
                              [{"color": "red"}, {"color": "blue"}, {"color": "red"}]))
    assert_number_matrix(out, 3)
    assert out[0] == out[2] and out[0] != out[1]


def test_one_hot_encoder_without_pipeline_returns_exact_rows(blank_client):
    configure(blank_client, "/blank", "class=OneHotEncoder&pipeline=false")
    assert_ok(post_json(blank_client, "/blank?_action=train", COLORS))
    out = assert_ok(post_json(blank_client, "/blank?_action=predict",
                              [{"color": "red"}, {"color": "blue"}]))
    assert_number_matrix(out, 2)
    # Categories are sorted: blue, green, red.
    assert out == [[0, 0, 1], [1, 0, 0]]


# --- 12. GET casting keeps text ------------------------------------------------------------------
def test_get_keeps_text_values(blank_client):
    codes = ["007", "7", "A1"] * 4
    data = {
        "code": codes,
        "a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        "y": [1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1],
    }
    configure(blank_client, "/blank", "class=LogisticRegression&target_col=y")
    assert_ok(post_json(blank_client, "/blank?_action=train", data))
    for code in ("007", "7", "A1"):
        got = assert_ok(blank_client.get(f"/blank?code={code}&a=1"))
        assert got[0]["code"] == code
        posted = assert_ok(post_json(blank_client, "/blank?_action=predict", [{"code": code, "a": 1}]))
        assert got[0]["y"] == posted[0]["y"]


# --- 13. integer overflow ----------------------------------------------------------------------------
HUGE = "99999999999999999999999"


def test_get_integer_overflow_names_column(titanic_client):
    query = ROW.replace("Pclass=3", f"Pclass={HUGE}")
    assert_error(titanic_client.get(f"/titanic?{query}"), 400, "Pclass")


def test_csv_integer_overflow_names_column(titanic_client, titanic):
    frame = titanic.drop(columns=["Survived"]).head(2).astype({"Pclass": object})
    frame.loc[0, "Pclass"] = HUGE
    assert_error(post_csv(titanic_client, "/titanic?_action=predict", frame), 400, "Pclass")


# --- 14. booleans with nulls ---------------------------------------------------------------------
BOOL_DATA = {
    "b": [True, None, False, True, False, True, None, False, True, False, True, False],
    "a": [1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0, 1.0],
    "y": [1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0],
}


def test_bool_column_with_nulls(blank_client):
    configure(blank_client, "/blank", "class=LogisticRegression&target_col=y&dropna=false")
    assert_ok(post_json(blank_client, "/blank?_action=train", BOOL_DATA))
    posted = {}
    for value in (True, False):
        out = assert_ok(post_json(blank_client, "/blank?_action=predict", [{"b": value, "a": 1.5}]))
        posted[value] = out[0]["y"]
        got = assert_ok(blank_client.get(f"/blank?b={str(value).lower()}&a=1.5"))
        assert got[0]["y"] == posted[value], (value, got, out)
    assert posted[True] != posted[False]  # the data makes b decide y


def test_append_bool_to_bool_with_nulls_cache(blank_client):
    assert_ok(post_json(blank_client, "/blank?_action=append", BOOL_DATA))
    res = post_json(blank_client, "/blank?_action=append", [{"b": True, "a": 1.5, "y": 1}])
    assert assert_ok(res) == {"appended": 1, "rows": len(BOOL_DATA["y"]) + 1}
    cache = assert_ok(blank_client.get("/blank?_cache"))
    assert cache[-1]["b"] is True


# --- 15. _cache is exact ---------------------------------------------------------------------------
EXACT = {"x": [0.30000000000000004, 1.2345678901234568e-05], "y": [0, 1]}
EXACT_RECORDS = [{"x": 0.30000000000000004, "y": 0}, {"x": 1.2345678901234568e-05, "y": 1}]


def test_cache_is_exact_after_append(blank_client, make_client):
    assert_ok(post_json(blank_client, "/blank?_action=append", EXACT))
    assert assert_ok(blank_client.get("/blank?_cache")) == EXACT_RECORDS
    restarted = make_client(BLANK_YAML)
    assert assert_ok(restarted.get("/blank?_cache")) == EXACT_RECORDS


def test_cache_is_exact_after_train(blank_client):
    configure(blank_client, "/blank", "class=LinearRegression&target_col=y")
    assert_ok(post_json(blank_client, "/blank?_action=train", EXACT))
    assert assert_ok(blank_client.get("/blank?_cache")) == EXACT_RECORDS


# --- 16. predict options ---------------------------------------------------------------------------
def check_proba(rows: list[dict]) -> None:
    for row in rows:
        probas = {k: v for k, v in row.items() if k.startswith("proba_")}
        assert set(probas) == {"proba_0", "proba_1"}, row
        assert math.isclose(sum(probas.values()), 1.0, abs_tol=1e-9), row
        best = max(probas, key=probas.get)
        assert best == f"proba_{row['Survived']}", row


def test_proba_on_classifier(titanic_client, titanic):
    frame = titanic.drop(columns=["Survived"]).head(20)
    plain = assert_ok(post_csv(titanic_client, "/titanic?_action=predict", frame))
    rows = assert_ok(post_csv(titanic_client, "/titanic?_action=predict&_proba=1", frame))
    assert len(rows) == len(frame)
    assert [r["Survived"] for r in rows] == [r["Survived"] for r in plain]
    check_proba(rows)
    got = assert_ok(titanic_client.get(f"/titanic?{ROW}&_proba=1"))
    assert len(got) == 1
    check_proba(got)


def test_proba_on_regressor_is_400(blank_client, iris):
    configure(blank_client, "/blank", "class=LinearRegression&target_col=petal_width&exclude=species")
    assert_ok(post_csv(blank_client, "/blank?_action=train", iris))
    features = iris.drop(columns=["petal_width"]).head(3)
    assert_error(post_csv(blank_client, "/blank?_action=predict&_proba=1", features), 400, "proba")


def test_unknown_predict_option_is_400(titanic_client, titanic):
    frame = titanic.drop(columns=["Survived"]).head(3)
    assert_error(post_csv(titanic_client, "/titanic?_action=predict&_interval=0.9", frame),
                 400, "_interval")
    assert_error(titanic_client.get(f"/titanic?{ROW}&_interval=0.9"), 400, "_interval")


# --- 17. startup failures are ConfigErrors ---------------------------------------------------------
@pytest.mark.parametrize("cls", ["LabelEncoder", "VotingClassifier"])
def test_startup_with_unsupported_class_is_config_error(make_client, cls):
    yaml_text = f"""
url:
  iris:
    pattern: /iris
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/iris
      data:
        url: $YAMLPATH/iris.csv
      model:
        class: {cls}
        target_col: species
"""
    with pytest.raises(ConfigError, match=cls):
        make_client(yaml_text)


# --- 18. scoring against another target -----------------------------------------------------------
@pytest.mark.parametrize("other", [
    "Sex",   # text labels: the 0/1 classifier's predictions can never match them
    "Name",  # text, and a different label on nearly every row
    "Fare",  # continuous values: accuracy cannot compare them with 0/1 predictions
])
def test_score_with_other_target_does_not_blame_trained_target(titanic_client, other):
    res = titanic_client.post(f"/titanic?_action=score&target_col={other}")
    message = assert_error(res, 400)["error"]
    # The message names the target that was used (as a word: passenger names such as "McNamee"
    # or "Fared" in a dump of values do not count)...
    assert re.search(rf"\b{other}\b", message), message
    assert message.startswith(f"Cannot score against '{other}'"), message
    # ...and does not blame the trained one (it may suggest it as the fix).
    assert "column 'survived'" not in message.lower(), message


# --- 19. an emptied cache no longer pins the columns ----------------------------------------------
def test_append_new_columns_after_deleting_cache(titanic_client, iris):
    assert_ok(titanic_client.delete("/titanic?_cache"))
    assert assert_ok(titanic_client.get("/titanic?_cache")) == []
    res = post_csv(titanic_client, "/titanic?_action=append", iris.head(5))
    assert assert_ok(res) == {"appended": 5, "rows": 5}
    cache = assert_ok(titanic_client.get("/titanic?_cache"))
    assert len(cache) == 5
    assert list(cache[0]) == list(iris.columns)


# --- YAML values that JSON cannot keep as they are ------------------------------------------------
CLASS_WEIGHT_YAML = """
url:
  titanic:
    pattern: /titanic
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/titanic
      data: {url: $YAMLPATH/titanic.csv}
      model:
        class: LogisticRegression
        params: {class_weight: {0: 1, 1: 3}}
        target_col: Survived
        exclude: [PassengerId, Ticket, Cabin, Name]
"""


def test_int_keyed_yaml_param_survives_restarts_without_retraining(make_client, workdir):
    """{0: 1} reads back from config.json as {"0": 1}: a restart must neither see that as an
    edit (and retrain) nor hand scikit-learn the string keys (which match no class)."""
    client = make_client(CLASS_WEIGHT_YAML)
    _, model_file = current_files(workdir / "models" / "titanic")
    assert joblib.load(model_file)[-1].class_weight == {0: 1, 1: 3}

    restarted = make_client(CLASS_WEIGHT_YAML)
    assert current_files(workdir / "models" / "titanic")[1] == model_file  # not retrained
    r = restarted.post("/titanic?_action=train")
    assert r.status_code == 200, r.text
    _, retrained = current_files(workdir / "models" / "titanic")
    assert retrained != model_file
    assert joblib.load(retrained)[-1].class_weight == {0: 1, 1: 3}
    assert client.get("/titanic?_params").status_code == 200


def test_two_endpoints_cannot_share_a_config_dir(workdir):
    from mlhandler.config import load_config

    path = workdir / "shared_dir.yaml"
    path.write_text(
        "url:\n"
        "  a: {pattern: /a, handler: MLHandler, kwargs: {config_dir: $YAMLPATH/models/same}}\n"
        "  b: {pattern: /b, handler: MLHandler, kwargs: {config_dir: $YAMLPATH/models/same}}\n"
    )
    with pytest.raises(ConfigError, match="config_dir .* already used by url.a"):
        load_config(path)


# --- found by fuzzing -----------------------------------------------------------------------------
def test_integers_beyond_64_bits_are_an_error_or_text_never_a_500(titanic_client):
    r = titanic_client.put("/titanic?class=RandomForestClassifier&n_estimators=99999999999999999999")
    assert_error(r, 400, "n_estimators", "out of range")
    assert_error(titanic_client.put("/titanic?class=BayesianRidge&max_iter=-335103902751777925293"), 400)
    # An extra column the model ignores is echoed back; a number JSON cannot hold comes back as text.
    r = titanic_client.get(f"/titanic?{ROW}&z=99999999999999999999999")
    assert r.status_code == 200, r.text
    assert r.json()[0]["z"] == "99999999999999999999999"


def test_a_repeated_format_uses_the_last(titanic_client):
    r = titanic_client.get("/titanic?_params&_format=csv&_format=json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")


def test_a_column_of_empty_objects_is_a_400(blank_client):
    r = blank_client.post("/blank?_action=append", json=[{"a": {}}, {"a": {}}])
    assert_error(r, 400, "cannot be stored")
    assert blank_client.get("/blank?_cache").json() == []


def test_an_infinite_parameter_survives_a_restart(titanic_client, make_client):
    assert assert_ok(titanic_client.put("/titanic?C=inf"))["params"]["params"]["C"] is None  # JSON null
    restarted = make_client(TITANIC_YAML)
    assert restarted.app.state.endpoints["titanic"].state.params["C"] == math.inf
    assert restarted.post("/titanic?_action=train").status_code == 200


INF_YAML = CLASS_WEIGHT_YAML.replace("params: {class_weight: {0: 1, 1: 3}}", "params: {C: .inf}")


def test_a_non_finite_yaml_param_is_not_an_edit_at_every_restart(make_client, workdir):
    """config.json holds inf as "inf": the YAML's .inf must compare equal to that snapshot."""
    make_client(INF_YAML)
    _, model_file = current_files(workdir / "models" / "titanic")
    restarted = make_client(INF_YAML)
    assert current_files(workdir / "models" / "titanic")[1] == model_file  # not retrained
    assert restarted.app.state.endpoints["titanic"].state.params["C"] == math.inf

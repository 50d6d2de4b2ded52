"""Every bad input is a 4xx JSON error that says what is wrong and how to fix it; never a 500."""

from __future__ import annotations

import pandas as pd
import pytest

PUT = "class=SARIMAX&index_col=index&target_col=R"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def with_exog(blank, inflation, train_over_http):
    """/sarimax trained on R with Dp as exogenous regressor."""
    train_over_http(blank, inflation, PUT)
    return blank


@pytest.fixture
def without_exog(blank, inflation, train_over_http):
    """/sarimax trained on R alone."""
    train_over_http(blank, inflation, f"{PUT}&exclude=Dp")
    return blank


def train_error(client, frame, epoch_records, error_of, put: str = "") -> str:
    if put:
        assert client.put(f"/sarimax?{put}").status_code == 200
    return error_of(client.post("/sarimax?_action=train", content=epoch_records(frame), headers=JSON))


# --- training ------------------------------------------------------------------------------------
def test_training_needs_index_col_and_target_col(blank, inflation, epoch_records, error_of):
    message = train_error(blank, inflation, epoch_records, error_of, "class=SARIMAX&target_col=R")
    assert "index_col" in message and "timestamp" in message and "PUT ?index_col=" in message
    message = train_error(blank, inflation, epoch_records, error_of, "index_col=when")
    assert "index_col='when'" in message and "['Dp', 'R', 'index']" in message
    message = error_of(blank.post("/sarimax?_action=train&index_col=index&target_col=",
                                  content=epoch_records(inflation), headers=JSON))
    assert "target_col" in message


def test_training_refuses_bad_timestamps(blank, inflation, epoch_records, error_of):
    blank.put(f"/sarimax?{PUT}")
    text = inflation.assign(index=inflation["index"].dt.strftime("%Y-%m-%d"))
    text.loc[5, "index"] = "someday"
    message = error_of(blank.post("/sarimax?_action=train", json=text.to_dict("records")))
    assert "'index'" in message and "'someday'" in message and "ISO 8601" in message
    twice = pd.concat([inflation, inflation.iloc[[7]].assign(R=0.5)])
    message = train_error(blank, twice, epoch_records, error_of)
    assert "1974-01-01" in message and "one value per period" in message
    message = train_error(blank, inflation.head(2), epoch_records, error_of)
    assert "at least 3 timestamps" in message


def test_training_refuses_text_regressors_cats_and_text_targets(blank, inflation, epoch_records,
                                                                error_of):
    blank.put(f"/sarimax?{PUT}")
    labelled = inflation.assign(era=["early" if i < 50 else "late" for i in range(len(inflation))])
    message = train_error(blank, labelled, epoch_records, error_of)
    assert "'era'" in message and "exclude" in message
    message = train_error(blank, labelled, epoch_records, error_of, "cats=era")
    assert "cats" in message and "one-hot" in message
    blank.delete("/sarimax?delete=opts&_opts=cats")
    message = train_error(blank, labelled, epoch_records, error_of, "exclude=Dp&target_col=era")
    assert "'era'" in message and "numeric target_col" in message


def test_training_with_regressor_gaps_names_the_period(blank, inflation, epoch_records, error_of):
    gappy = inflation.drop(index=[40])
    message = train_error(blank, gappy, epoch_records, error_of, f"{PUT}&freq=QS")
    assert "1982-04-01" in message and "['Dp']" in message


def test_training_with_dropna_off_and_missing_values(blank, inflation, epoch_records, error_of):
    holes = inflation.astype({"Dp": float}).copy()
    holes.loc[3, "Dp"] = None
    message = train_error(blank, holes, epoch_records, error_of, f"{PUT}&dropna=false")
    assert "'Dp'" in message and "dropna" in message


# --- predicting ----------------------------------------------------------------------------------
def test_missing_exog_or_index_columns_are_named(with_exog, inflation, epoch_records, error_of):
    message = error_of(with_exog.post("/sarimax", content=epoch_records(inflation[["index", "R"]]),
                                      headers=JSON))
    assert "['Dp']" in message
    message = error_of(with_exog.get("/sarimax?index=1999-01-01"))
    assert "['Dp']" in message
    message = error_of(with_exog.get("/sarimax?Dp=0.01"))
    assert "['index']" in message


def test_forecast_rows_need_regressor_values(with_exog, error_of):
    rows = [{"index": "1999-01-01", "Dp": 0.01}, {"index": "1999-04-01", "Dp": None}]
    message = error_of(with_exog.post("/sarimax", json=rows))
    assert "Row 1" in message and "'Dp'" in message and "1999-04-01" in message
    # In-sample rows do not need them: the training data's own values are used.
    inside = [{"index": "1990-01-01", "Dp": None}]
    assert with_exog.post("/sarimax", json=inside).status_code == 200


def test_rows_without_timestamps_are_refused(without_exog, error_of):
    message = error_of(without_exog.post("/sarimax", json=[{"index": "1990-01-01"}, {"index": None}]))
    assert "Row 1" in message and "'index'" in message


@pytest.mark.parametrize("option, says", [
    ("_interval=2", "between 0 and 1"),
    ("_interval=abc", "between 0 and 1"),
    ("_interval=0", "between 0 and 1"),
    ("_proba=1", "_interval"),
    ("_steps=3", "send ?_steps=N alone"),
])
def test_bad_prediction_options(without_exog, error_of, option, says):
    message = error_of(without_exog.get(f"/sarimax?index=1999-01-01&{option}"))
    assert says in message


def test_steps_with_exog_says_to_post_rows(with_exog, error_of):
    message = error_of(with_exog.get("/sarimax?_steps=4"))
    assert "['Dp']" in message and "_action=predict" in message


@pytest.mark.parametrize("query, says", [
    ("_steps=0", "1 or more"),
    ("_steps=abc", "whole number"),
    ("_steps=10001", "at most 10000"),
    ("_steps=3&_interval=1.5", "between 0 and 1"),
    ("_steps=3&_bogus=1", "_bogus"),
])
def test_bad_steps_values(without_exog, error_of, query, says):
    assert says in error_of(without_exog.get(f"/sarimax?{query}"))


def test_forecasts_may_run_past_the_year_2262(blank):
    # pandas' nanosecond dates end in 2262; timestamps here are microseconds, which reach far
    # further, so a long yearly forecast works instead of failing on its dates.
    rows = [{"year": f"{1900 + i}-01-01", "y": float(i % 7)} for i in range(30)]
    blank.put("/sarimax?class=SARIMAX&index_col=year&target_col=y")
    assert blank.post("/sarimax?_action=train", json=rows).status_code == 200
    ahead = blank.get("/sarimax?_steps=500")
    assert ahead.status_code == 200 and ahead.json()[-1]["year"] == "2429-01-01T00:00:00"


# --- scoring -------------------------------------------------------------------------------------
@pytest.mark.parametrize("metric, says", [
    ("bogus", "Unknown metric 'bogus'"),
    ("accuracy", "regression metric"),
    ("roc_auc", "regression metric"),
])
def test_bad_metrics(without_exog, error_of, metric, says):
    assert says in error_of(without_exog.post(f"/sarimax?_action=score&_metric={metric}"))


def test_score_needs_the_target(without_exog, inflation, epoch_records, error_of):
    message = error_of(without_exog.post("/sarimax?_action=score",
                                         content=epoch_records(inflation[["index"]]), headers=JSON))
    assert "'R'" in message


def test_no_model_yet_is_a_404_saying_how_to_train(blank, error_of):
    blank.put(f"/sarimax?{PUT}")
    response = blank.get("/sarimax?_steps=3")
    assert response.status_code == 404 and "train" in response.json()["error"]


def test_include_chooses_the_regressors(blank, inflation, epoch_records):
    extra = inflation.assign(noise=range(len(inflation)), label="x")
    blank.put(f"/sarimax?{PUT}&include=Dp")
    trained = blank.post("/sarimax?_action=train", content=epoch_records(extra), headers=JSON)
    assert trained.status_code == 200, trained.text
    assert blank.get("/sarimax?_params").json()["attrs"]["exog"] == ["Dp"]
    # Columns the model does not use are echoed back, not required.
    rows = blank.post("/sarimax", json=[{"index": "1999-01-01", "Dp": 0.0, "label": "y"}]).json()
    assert rows[0]["label"] == "y"

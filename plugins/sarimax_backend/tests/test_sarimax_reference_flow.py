"""The reference's flow over HTTP on the interest/inflation data: PUT the class and columns,
append records with epoch-millisecond timestamps, train, predict every row, score, describe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

PUT = "class=SARIMAX&index_col=index&target_col=R"
JSON = {"Content-Type": "application/json"}


def test_reference_flow_trains_and_predicts_within_mae(blank, inflation, epoch_records, mae,
                                                       reference_fit):
    body = epoch_records(inflation)
    assert isinstance(pd.read_json(pd.io.common.StringIO(body))["index"][0], np.integer)

    configured = blank.put(f"/sarimax?{PUT}").json()
    assert configured["params"] == {"class": "SARIMAX", "params": {}}
    assert configured["opts"]["index_col"] == "index" and configured["opts"]["target_col"] == "R"
    appended = blank.post("/sarimax?_action=append", content=body, headers=JSON).json()
    assert appended == {"appended": 107, "rows": 107}

    trained = blank.post("/sarimax?_action=train")
    assert trained.status_code == 200, trained.text
    result = trained.json()
    assert result["metric"] == "mean_absolute_error"
    assert result["rows"] == 107
    assert result["freq"] == "QS-JAN"
    assert (result["start"], result["end"]) == ("1972-04-01T00:00:00", "1998-10-01T00:00:00")
    assert 0 < result["score"] <= 0.01

    predicted = blank.post("/sarimax?_action=predict", content=body, headers=JSON)
    assert predicted.status_code == 200, predicted.text
    rows = pd.DataFrame(predicted.json())
    assert len(rows) == len(inflation)
    assert list(rows.columns) == ["Dp", "R", "index"]
    # The timestamps come back as ISO text, in the order sent.
    assert rows["index"].tolist() == [t.isoformat() for t in inflation["index"]]
    assert rows["Dp"].tolist() == inflation["Dp"].tolist()
    # MAE computed here, from the data, not taken from the endpoint.
    error = mae(rows["R"], inflation["R"])
    assert error <= 0.01
    assert result["score"] == pytest.approx(error, rel=1e-9)
    # The same model fitted with statsmodels directly: Dp is the exogenous regressor.
    expected = reference_fit(inflation, exog=["Dp"]).fittedvalues.to_numpy()
    np.testing.assert_allclose(rows["R"], expected, rtol=1e-6, atol=1e-9)


def test_predictions_come_back_in_request_order_with_duplicates(blank, inflation, epoch_records,
                                                                train_over_http):
    train_over_http(blank, inflation, PUT)
    everything = pd.DataFrame(blank.post("/sarimax", content=epoch_records(inflation),
                                         headers=JSON).json())
    picks = inflation.iloc[[50, 3, 50, 106, 0]]
    rows = blank.post("/sarimax", content=epoch_records(picks), headers=JSON).json()
    assert [r["index"] for r in rows] == [t.isoformat() for t in picks["index"]]
    assert [r["R"] for r in rows] == everything["R"].iloc[[50, 3, 50, 106, 0]].tolist()


def test_score_defaults_to_mae_and_takes_sklearn_regression_scorers(blank, inflation, epoch_records,
                                                                    train_over_http, mae):
    train_over_http(blank, inflation, PUT)
    predicted = pd.DataFrame(blank.post("/sarimax", content=epoch_records(inflation),
                                        headers=JSON).json())["R"]
    on_cache = blank.post("/sarimax?_action=score").json()
    assert on_cache == {"score": pytest.approx(mae(predicted, inflation["R"]), rel=1e-9),
                        "metric": "mean_absolute_error", "rows": 107}
    tail = inflation.tail(20)
    on_body = blank.post("/sarimax?_action=score", content=epoch_records(tail), headers=JSON).json()
    assert on_body["rows"] == 20
    assert on_body["score"] == pytest.approx(mae(predicted.tail(20), tail["R"]), rel=1e-9)

    from sklearn.metrics import mean_squared_error, r2_score

    r2 = blank.post("/sarimax?_action=score&_metric=r2").json()
    assert r2["metric"] == "r2"
    assert r2["score"] == pytest.approx(r2_score(inflation["R"], predicted), rel=1e-9)
    # scikit-learn's neg_* scorers keep scikit-learn's sign: greater is better.
    neg = blank.post("/sarimax?_action=score&_metric=neg_mean_absolute_error").json()
    assert neg["score"] == pytest.approx(-mae(predicted, inflation["R"]), rel=1e-9)
    rmse = blank.post("/sarimax?_action=score&_metric=neg_root_mean_squared_error").json()
    assert rmse["score"] == pytest.approx(-np.sqrt(mean_squared_error(inflation["R"], predicted)))
    assert blank.post("/sarimax?_action=score&_metric=mae").json()["metric"] == "mean_absolute_error"


def test_params_attrs_and_model_describe_the_fit(blank, inflation, train_over_http, reference_fit):
    blank.put(f"/sarimax?{PUT}&exclude=Dp&order=2,0,0&trend=c")
    train_over_http(blank, inflation, "order=2,0,0")
    described = blank.get("/sarimax?_params").json()
    assert described["params"] == {"class": "SARIMAX", "params": {"order": [2, 0, 0], "trend": "c"}}
    attrs = described["attrs"]
    expected = reference_fit(inflation, order=(2, 0, 0), trend="c")
    assert list(attrs["coef"]) == ["intercept", "ar.L1", "ar.L2", "sigma2"]
    np.testing.assert_allclose(list(attrs["coef"].values()), expected.params.to_numpy(), rtol=1e-6)
    assert attrs["aic"] == pytest.approx(expected.aic, rel=1e-9)
    assert attrs["bic"] == pytest.approx(expected.bic, rel=1e-9)
    assert attrs["nobs"] == 107
    assert attrs["freq"] == "QS-JAN"
    assert (attrs["start"], attrs["end"]) == ("1972-04-01T00:00:00", "1998-10-01T00:00:00")
    assert attrs["exog"] == [] and attrs["index_col"] == "index" and attrs["target_col"] == "R"
    assert attrs["converged"] is True

    model = blank.get("/sarimax?_model").json()
    assert model["order"] == [2, 0, 0] and model["trend"] == "c"
    assert model["seasonal_order"] == [0, 0, 0, 0] and model["freq"] == "QS-JAN"
    assert model["enforce_stationarity"] is True and model["maxiter"] == 50


def test_params_before_training_have_empty_attrs(blank):
    blank.put(f"/sarimax?{PUT}")
    assert blank.get("/sarimax?_params").json()["attrs"] == {}
    assert blank.get("/sarimax?index=1999-01-01&Dp=0").status_code == 404


def test_train_with_a_body_and_retrain_with_more_rows(blank, inflation, epoch_records):
    blank.put(f"/sarimax?{PUT}&exclude=Dp")
    head, tail = inflation.iloc[:80], inflation.iloc[80:]
    first = blank.post("/sarimax?_action=train", content=epoch_records(head), headers=JSON).json()
    assert first["rows"] == 80 and first["end"] == "1992-01-01T00:00:00"
    # A timestamp after the training data is a forecast...
    before = blank.get("/sarimax?index=1995-01-01").json()[0]["R"]
    second = blank.post("/sarimax?_action=retrain", content=epoch_records(tail), headers=JSON).json()
    assert second["rows"] == 107 and second["end"] == "1998-10-01T00:00:00"
    # ...and after retraining on the later rows it is an in-sample prediction, from new data.
    after = blank.get("/sarimax?index=1995-01-01").json()[0]["R"]
    assert after != before
    assert len(blank.get("/sarimax?_cache").json()) == 107


def test_the_page_offers_the_timestamp_and_regressor_fields(blank, inflation, train_over_http):
    train_over_http(blank, inflation, PUT)
    page = blank.get("/sarimax")
    assert page.status_code == 200
    assert 'name="index"' in page.text and 'name="Dp"' in page.text

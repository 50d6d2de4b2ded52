"""Models trained at startup from the YAML: out-of-sample predictions of a held-out tail, mixed
in-sample and out-of-sample requests, `_steps` forecasts and prediction intervals, all compared
with statsmodels fitted directly in the test."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

HOLDOUT = 12
JSON = {"Content-Type": "application/json"}


def startup_yaml(exclude: str = "[]", params: str = "{}") -> str:
    return f"""
    url:
      rates:
        pattern: /rates
        handler: MLHandler
        kwargs:
          config_dir: $YAMLPATH/models/rates
          data:
            url: $YAMLPATH/head.csv
          model:
            class: SARIMAX
            index_col: index
            target_col: R
            exclude: {exclude}
            params: {params}
    """


@pytest.fixture
def head_tail(inflation, workdir):
    """The first rows as the YAML's data (ISO dates in a CSV), the last HOLDOUT rows held out."""
    head, tail = inflation.iloc[:-HOLDOUT], inflation.iloc[-HOLDOUT:].reset_index(drop=True)
    head.assign(index=head["index"].dt.strftime("%Y-%m-%d")).to_csv(workdir / "head.csv", index=False)
    return head, tail


def test_startup_model_forecasts_the_held_out_tail_with_exog(make_client, head_tail, epoch_records,
                                                             reference_fit, mae):
    head, tail = head_tail
    client = make_client(startup_yaml(params="{order: [1, 0, 0]}"))
    # Trained before serving: attrs describe the YAML's data.
    attrs = client.get("/rates?_params").json()["attrs"]
    assert attrs["end"] == head["index"].iloc[-1].isoformat() and attrs["exog"] == ["Dp"]

    response = client.post("/rates?_action=predict", content=epoch_records(tail), headers=JSON)
    assert response.status_code == 200, response.text
    rows = pd.DataFrame(response.json())
    expected = reference_fit(head, exog=["Dp"], order=(1, 0, 0))
    forecast = expected.get_forecast(steps=HOLDOUT, exog=tail[["Dp"]].to_numpy()).predicted_mean
    np.testing.assert_allclose(rows["R"], forecast.to_numpy(), rtol=1e-6, atol=1e-9)
    assert rows["index"].tolist() == [t.isoformat() for t in tail["index"]]
    # A real forecast: close to what happened, far closer than a constant guess at 0.
    assert mae(rows["R"], tail["R"]) < 0.01


def test_forecast_rows_depend_only_on_their_own_regressors(make_client, head_tail, epoch_records):
    head, tail = head_tail
    client = make_client(startup_yaml())
    all_rows = client.post("/rates", content=epoch_records(tail), headers=JSON).json()
    # Only the 6th period ahead, alone: periods in between are not needed.
    alone = client.post("/rates", content=epoch_records(tail.iloc[[5]]), headers=JSON).json()
    assert alone[0]["R"] == pytest.approx(all_rows[5]["R"], rel=1e-12)
    # The same period twice with different regressor values: two answers, in order.
    twice = tail.iloc[[5, 5]].assign(Dp=[0.0, 0.05])
    answers = [r["R"] for r in client.post("/rates", content=epoch_records(twice), headers=JSON).json()]
    coef = client.get("/rates?_params").json()["attrs"]["coef"]["Dp"]
    assert answers[1] - answers[0] == pytest.approx(0.05 * coef, rel=1e-6)


def test_mixed_in_sample_and_out_of_sample_request(make_client, head_tail, epoch_records,
                                                   reference_fit):
    head, tail = head_tail
    client = make_client(startup_yaml(exclude="[Dp]"))
    mixed = pd.concat([tail.iloc[[2]], head.iloc[[40]], tail.iloc[[0]], head.iloc[[0]]])
    rows = client.post("/rates", content=epoch_records(mixed), headers=JSON).json()
    expected = reference_fit(head)
    fitted, forecast = expected.fittedvalues.to_numpy(), expected.forecast(3).to_numpy()
    np.testing.assert_allclose([r["R"] for r in rows],
                               [forecast[2], fitted[40], forecast[0], fitted[0]], rtol=1e-6, atol=1e-9)


def test_steps_forecasts_the_next_periods(make_client, head_tail, reference_fit):
    head, _ = head_tail
    client = make_client(startup_yaml(exclude="[Dp]", params="{order: [2, 0, 0], trend: c}"))
    response = client.get("/rates?_steps=5")
    assert response.status_code == 200, response.text
    rows = response.json()
    expected = reference_fit(head, order=(2, 0, 0), trend="c").forecast(5)
    assert [r["index"] for r in rows] == [t.isoformat() for t in expected.index]
    assert [r["index"] for r in rows][0] == "1996-01-01T00:00:00"
    assert set(rows[0]) == {"index", "R"}
    np.testing.assert_allclose([r["R"] for r in rows], expected.to_numpy(), rtol=1e-6)
    # The same periods asked for by timestamp give the same values.
    by_date = client.get("/rates?" + "&".join(f"index={r['index']}" for r in rows)).json()
    assert [r["R"] for r in by_date] == [r["R"] for r in rows]


def test_intervals_match_statsmodels_conf_int(make_client, head_tail, epoch_records, reference_fit):
    head, tail = head_tail
    client = make_client(startup_yaml())
    expected = reference_fit(head, exog=["Dp"])
    mixed = pd.concat([head.iloc[[10, 60]], tail.iloc[[0, 4]]])
    rows = client.post("/rates?_interval=0.9", content=epoch_records(mixed), headers=JSON).json()
    assert list(rows[0]) == ["Dp", "R", "index", "R_lower", "R_upper"]
    inside = expected.get_prediction(start=0, end=len(head) - 1).conf_int(alpha=0.1).to_numpy()
    ahead = expected.get_forecast(steps=5, exog=tail[["Dp"]].iloc[:5].to_numpy()).conf_int(alpha=0.1).to_numpy()
    wanted = np.array([inside[10], inside[60], ahead[0], ahead[4]])
    got = np.array([[r["R_lower"], r["R_upper"]] for r in rows])
    np.testing.assert_allclose(got, wanted, rtol=1e-6, atol=1e-9)
    assert all(r["R_lower"] < r["R"] < r["R_upper"] for r in rows)
    # A wider interval is wider; `_interval` alone is the 95% interval.
    wide = client.post("/rates?_interval=0.99", content=epoch_records(mixed), headers=JSON).json()
    assert all(w["R_upper"] - w["R_lower"] > r["R_upper"] - r["R_lower"] for w, r in zip(wide, rows, strict=True))
    default = client.get(f"/rates?index={tail['index'][0].date()}&Dp={tail['Dp'][0]}&_interval").json()[0]
    ci95 = expected.get_forecast(steps=1, exog=tail[["Dp"]].iloc[:1].to_numpy()).conf_int(alpha=0.05).to_numpy()[0]
    np.testing.assert_allclose([default["R_lower"], default["R_upper"]], ci95, rtol=1e-6)


def test_steps_with_interval(make_client, head_tail, reference_fit):
    head, _ = head_tail
    client = make_client(startup_yaml(exclude="[Dp]"))
    rows = client.get("/rates?_steps=3&_interval=0.8").json()
    expected = reference_fit(head).get_forecast(3).conf_int(alpha=0.2).to_numpy()
    np.testing.assert_allclose([[r["R_lower"], r["R_upper"]] for r in rows], expected, rtol=1e-6)


def test_restart_serves_the_saved_model_without_retraining(make_client, head_tail, epoch_records,
                                                           workdir):
    _, tail = head_tail
    first = make_client(startup_yaml())
    before = first.post("/rates?_interval=0.9", content=epoch_records(tail), headers=JSON).json()
    attrs = first.get("/rates?_params").json()["attrs"]
    first.close()
    model = json.loads((workdir / "models/rates/config.json").read_text())["model"]
    assert model["format"] == "sarimax-json"

    second = make_client(startup_yaml())
    # Nothing retrained: the same model file, trained at the same time.
    assert json.loads((workdir / "models/rates/config.json").read_text())["model"] == model
    assert second.post("/rates?_interval=0.9", content=epoch_records(tail), headers=JSON).json() == before
    assert second.get("/rates?_params").json()["attrs"] == attrs
    assert second.get("/rates?_steps=2").status_code == 400  # still the model with Dp as exog


def test_model_trained_over_http_survives_a_restart(make_client, blank_yaml, inflation,
                                                    train_over_http, epoch_records):
    client = make_client(blank_yaml)
    train_over_http(client, inflation, "class=SARIMAX&index_col=index&target_col=R&order=2,0,0")
    request = epoch_records(pd.concat([inflation.iloc[::7], inflation.tail(1)]))
    before = client.post("/sarimax?_interval=0.95", content=request, headers=JSON).json()
    ahead = client.get("/sarimax?index=1999-01-01&index=1999-04-01&Dp=0.01&Dp=0.02").json()
    client.close()

    again = make_client(blank_yaml)
    assert again.post("/sarimax?_interval=0.95", content=request, headers=JSON).json() == before
    assert again.get("/sarimax?index=1999-01-01&index=1999-04-01&Dp=0.01&Dp=0.02").json() == ahead
    assert again.get("/sarimax?_model").json()["order"] == [2, 0, 0]


def test_in_sample_rows_use_the_regressor_values_sent(make_client, head_tail, reference_fit):
    head, _ = head_tail
    client = make_client(startup_yaml())
    expected = reference_fit(head, exog=["Dp"])
    t = 40
    when = head["index"][t].strftime("%Y-%m-%d")
    sent, actual = 0.05, head["Dp"][t]
    rows = client.post("/rates?_interval=0.9", json=[
        {"index": when, "Dp": actual}, {"index": when, "Dp": sent}, {"index": when, "Dp": None}]).json()
    # What statsmodels predicts for period t when only that period's Dp is different.
    what_if = head[["Dp"]].to_numpy().copy()
    what_if[t, 0] = sent
    refiltered = expected.model.clone(expected.model.endog, exog=what_if).filter(expected.params)
    fitted = expected.fittedvalues.to_numpy()
    np.testing.assert_allclose([r["R"] for r in rows], [fitted[t], refiltered.fittedvalues[t], fitted[t]],
                               rtol=1e-9, atol=1e-12)
    bounds = np.asarray(refiltered.get_prediction(start=t, end=t).conf_int(alpha=0.1))[0]
    np.testing.assert_allclose([rows[1]["R_lower"], rows[1]["R_upper"]], bounds, rtol=1e-9)

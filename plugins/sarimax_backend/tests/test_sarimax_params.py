"""SARIMAX parameters from YAML, PUT text, JSON and repeated keys become what statsmodels wants;
an unknown parameter or a bad value is a 400 naming it, and nothing is stored."""

from __future__ import annotations

import pytest

from mlhandler.errors import BadRequest
from mlhandler_sarimax.params import coerce_params

BASE = "/sarimax?class=SARIMAX&index_col=index&target_col=R"


@pytest.mark.parametrize("value", ["1,0,1", "[1,0,1]", "(1, 0, 1)", " 1, 0, 1 ", ["1", "0", "1"],
                                   [1, 0, 1], (1, 0, 1), ["[1,0,1]"]])
def test_order_becomes_a_tuple(value):
    assert coerce_params({"order": value}) == {"order": (1, 0, 1)}


def test_every_parameter_is_cast_from_text():
    params = coerce_params({
        "seasonal_order": "1,0,0,4", "trend": "ct", "measurement_error": "yes",
        "enforce_stationarity": "false", "enforce_invertibility": "0", "trend_offset": "2",
        "freq": "QS", "method": "NM", "maxiter": "200", "concentrate_scale": "true",
    })
    assert params == {
        "seasonal_order": (1, 0, 0, 4), "trend": "ct", "measurement_error": True,
        "enforce_stationarity": False, "enforce_invertibility": False, "trend_offset": 2,
        "freq": "QS-JAN", "method": "nm", "maxiter": 200, "concentrate_scale": True,
    }


def test_lag_lists_and_trend_polynomials():
    assert coerce_params({"order": "[[1,0,1],0,0]"}) == {"order": ([1, 0, 1], 0, 0)}
    assert coerce_params({"trend": "[1,0,1]"}) == {"trend": [1, 0, 1]}
    assert coerce_params({"trend": "none", "freq": ""}) == {"trend": None, "freq": None}


def test_stored_lists_read_back_as_tuples():
    # config.json keeps tuples as lists; coercing them again gives the same params.
    params = coerce_params({"order": [2, 1, 0], "seasonal_order": [0, 1, 1, 4]})
    assert coerce_params({k: list(v) for k, v in params.items()}) == params


@pytest.mark.parametrize("raw, named", [
    ({"orders": "1,0,0"}, "orders"),
    ({"simple_differencing": "true"}, "simple_differencing"),
    ({"mle_regression": "false"}, "mle_regression"),
    ({"time_varying_regression": "true"}, "time_varying_regression"),
    ({"order": "1,0"}, "order"),
    ({"order": "a,b,c"}, "order"),
    ({"order": "-1,0,0"}, "order"),
    ({"order": "1.5,0,0"}, "order"),
    ({"order": "[[1,2],0,0]"}, "order"),
    ({"seasonal_order": "1,0,0"}, "seasonal_order"),
    ({"trend": "quadratic"}, "trend"),
    ({"freq": "fortnightly"}, "freq"),
    ({"enforce_stationarity": "maybe"}, "enforce_stationarity"),
    ({"maxiter": "0"}, "maxiter"),
    ({"method": "adam"}, "method"),
    ({"trend_offset": "x"}, "trend_offset"),
])
def test_bad_params_name_themselves(raw, named):
    with pytest.raises(BadRequest) as caught:
        coerce_params(raw)
    assert named in caught.value.message


@pytest.mark.parametrize("raw, says", [
    ({"seasonal_order": "1,0,0,1"}, "season"),  # statsmodels: a seasonal period must exceed 1
    ({"order": "4,0,0", "seasonal_order": "1,0,0,4"}, "both the seasonal"),  # lag 4 twice
    ({"order": "1,0,0", "seasonal_order": "1,0,0,0"}, "periodicity"),  # seasonal AR, no period
    ({"order": "1,0,0", "seasonal_order": "1,0,0,1000"}, "states"),  # too big to fit
])
def test_combinations_statsmodels_refuses_are_400s(raw, says):
    with pytest.raises(BadRequest) as caught:
        coerce_params(raw)
    assert says in caught.value.message.lower()


def test_put_text_values_reach_the_model(blank):
    response = blank.put(f"{BASE}&order=2,0,0&seasonal_order=[1,0,0,4]&trend=c&maxiter=80")
    assert response.status_code == 200, response.text
    assert response.json()["params"]["params"] == {
        "order": [2, 0, 0], "seasonal_order": [1, 0, 0, 4], "trend": "c", "maxiter": 80,
    }
    repeated = blank.put("/sarimax?order=3&order=0&order=0")
    assert repeated.json()["params"]["params"]["order"] == [3, 0, 0]


def test_put_with_a_bad_param_is_a_400_and_stores_nothing(blank, error_of):
    blank.put(f"{BASE}&order=1,0,0")
    before = blank.get("/sarimax?_params").json()
    message = error_of(blank.put("/sarimax?order=1,0,0&ma_order=2"))
    assert "ma_order" in message and "order" in message
    message = error_of(blank.put("/sarimax?order=1,x,0"))
    assert "order" in message and "(p, d, q)" in message
    message = error_of(blank.put("/sarimax?freq=abc"))
    assert "freq" in message and "MS" in message
    assert blank.get("/sarimax?_params").json() == before


def test_yaml_lists_become_tuples_and_a_bad_yaml_param_stops_startup(make_client, workdir):
    good = """
    url:
      rates:
        pattern: /rates
        handler: MLHandler
        kwargs:
          config_dir: $YAMLPATH/models/rates
          data: {url: $YAMLPATH/inflation.csv}
          model:
            class: SARIMAX
            index_col: index
            target_col: R
            exclude: [Dp]
            params: {order: [1, 1, 0], trend: t}
    """
    client = make_client(good)
    assert client.get("/rates?_model").json()["order"] == [1, 1, 0]
    assert client.get("/rates?_params").json()["attrs"]["coef"].keys() >= {"drift", "ar.L1"}

    from mlhandler.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        make_client(good.replace("order: [1, 1, 0]", "order: [1, 1]"), name="bad.yaml")
    assert "order" in caught.value.message

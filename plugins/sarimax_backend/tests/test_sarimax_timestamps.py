"""Timestamps as ISO text, datetimes or epoch milliseconds, in training and in predictions; the
frequency inferred from the training data or given by `freq`."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from mlhandler.errors import BadRequest
from mlhandler_sarimax.timestamps import parse_timestamps

PUT = "class=SARIMAX&index_col=index&target_col=R"
JSON = {"Content-Type": "application/json"}
MS_1999 = 915148800000  # 1999-01-01T00:00:00Z in epoch milliseconds


def stamps(*values, dtype=None) -> list:
    parsed = parse_timestamps(pd.Series(list(values), dtype=dtype), "when")
    return [None if pd.isna(t) else t.isoformat() for t in parsed]


def test_parse_iso_text_epoch_numbers_epoch_text_and_datetimes():
    assert stamps("1999-01-01", "1999-01-01T06:30:00") == ["1999-01-01T00:00:00", "1999-01-01T06:30:00"]
    assert stamps(MS_1999, MS_1999 + 3_600_000) == ["1999-01-01T00:00:00", "1999-01-01T01:00:00"]
    assert stamps(float(MS_1999), None) == ["1999-01-01T00:00:00", None]
    assert stamps(str(MS_1999), "") == ["1999-01-01T00:00:00", None]
    assert stamps(dt.datetime(1999, 1, 1), pd.Timestamp("1999-04-01")) == [
        "1999-01-01T00:00:00", "1999-04-01T00:00:00"]
    # A column mixing kinds (JSON rows sending some numbers and some text) is read per value.
    assert stamps(MS_1999, "1999-04-01", dt.datetime(1999, 7, 1), None, dtype=object) == [
        "1999-01-01T00:00:00", "1999-04-01T00:00:00", "1999-07-01T00:00:00", None]


def test_text_with_an_offset_becomes_utc():
    assert stamps("1999-01-01T05:30:00+05:30", "1999-01-01T00:00:00Z") == [
        "1999-01-01T00:00:00", "1999-01-01T00:00:00"]
    aware = pd.Series(pd.to_datetime(["1999-01-01T01:00:00"]).tz_localize("Europe/Paris"))
    assert [t.isoformat() for t in parse_timestamps(aware, "when")] == ["1999-01-01T00:00:00"]


@pytest.mark.parametrize("values, bad", [
    (["1999-01-01", "not a date"], "not a date"),
    (["1999-13-45"], "1999-13-45"),
    ([True, False], True),
    ([10**20], 10**20),
])
def test_unreadable_timestamps_name_the_column_and_value(values, bad):
    with pytest.raises(BadRequest) as caught:
        parse_timestamps(pd.Series(values), "when")
    message = caught.value.message
    assert "'when'" in message and repr(bad) in message and "epoch milliseconds" in message


def test_trained_on_iso_text_predicts_epoch_and_iso_alike(make_client, inflation, epoch_records):
    client = make_client("""
    url:
      rates:
        pattern: /rates
        handler: MLHandler
        kwargs:
          config_dir: $YAMLPATH/models/rates
          data: {url: $YAMLPATH/inflation.csv}
          model: {class: SARIMAX, index_col: index, target_col: R, exclude: [Dp]}
    """)
    rows = inflation.iloc[[0, 50, 106]]
    by_epoch = client.post("/rates", content=epoch_records(rows), headers=JSON).json()
    iso_rows = rows.assign(index=rows["index"].dt.strftime("%Y-%m-%d")).to_dict("records")
    by_iso = client.post("/rates", json=iso_rows).json()
    millis = [int(t.value // 10**6) for t in rows["index"]]
    by_get_epoch = client.get("/rates?" + "&".join(f"index={m}" for m in millis)).json()
    by_get_iso = client.get("/rates?index=1972-04-01&index=1984-10-01T00:00:00&index=1998-10-01").json()
    def pairs(rows):
        return [(r["index"], r["R"]) for r in rows]

    assert pairs(by_epoch) == pairs(by_iso) == pairs(by_get_epoch) == pairs(by_get_iso)
    assert [r["index"] for r in by_epoch] == ["1972-04-01T00:00:00", "1984-10-01T00:00:00",
                                              "1998-10-01T00:00:00"]
    # Datetimes: a parquet upload keeps its datetime column.
    buffer = io.BytesIO()
    rows.to_parquet(buffer, index=False)
    upload = client.post("/rates", files={"file": ("rows.parquet", buffer.getvalue())})
    assert upload.status_code == 200, upload.text
    assert [r["R"] for r in upload.json()] == [r["R"] for r in by_epoch]
    # An offset is converted to UTC: 05:30 at +05:30 is the model's period at midnight UTC.
    offset = client.get("/rates?index=1998-10-01T05:30:00%2B05:30").json()
    assert pairs(offset) == pairs(by_epoch[2:])


def test_trained_on_epoch_millis_predicts_iso(blank, inflation, train_over_http, iso_records):
    train_over_http(blank, inflation, f"{PUT}&exclude=Dp")
    assert isinstance(blank.get("/sarimax?_cache").json()[0]["index"], int)  # stored as sent
    tail = inflation.tail(3)
    assert [r["index"] for r in blank.post("/sarimax", json=iso_records(tail)).json()] == [
        t.isoformat() for t in tail["index"]]


def test_monthly_data_gets_its_frequency_inferred(blank, reference_fit):
    rng = np.random.default_rng(7)
    index = pd.date_range("2001-01-01", periods=60, freq="MS")
    values = 10 + np.cumsum(rng.normal(0, 0.2, 60)) * 0.3
    rows = [{"month": t.strftime("%Y-%m-%d"), "sales": v} for t, v in zip(index, values, strict=True)]
    blank.put("/sarimax?class=SARIMAX&index_col=month&target_col=sales&trend=c")
    trained = blank.post("/sarimax?_action=train", json=rows).json()
    assert trained["freq"] == "MS"
    ahead = blank.get("/sarimax?_steps=2").json()
    assert [r["month"] for r in ahead] == ["2006-01-01T00:00:00", "2006-02-01T00:00:00"]


def test_irregular_timestamps_need_freq_and_then_train_with_gaps(blank, inflation, epoch_records,
                                                                 error_of, reference_fit):
    blank.put(f"/sarimax?{PUT}&exclude=Dp")
    gappy = inflation.drop(index=[30, 31, 70])
    blank.post("/sarimax?_action=append", content=epoch_records(gappy), headers=JSON)
    message = error_of(blank.post("/sarimax?_action=train"))
    assert "irregular" in message and "?freq=QS-JAN" in message
    assert "3 period(s) have no row" in message and "1979-10-01" in message
    # With freq, missing periods are missing values that the Kalman filter skips.
    blank.put("/sarimax?freq=QS")
    trained = blank.post("/sarimax?_action=train").json()
    assert trained["rows"] == 104 and trained["freq"] == "QS-JAN"
    assert blank.get("/sarimax?_params").json()["attrs"]["nobs"] == 107
    expected = reference_fit(inflation.assign(R=inflation["R"].where(~inflation.index.isin([30, 31, 70]))))
    got = blank.post("/sarimax", content=epoch_records(inflation), headers=JSON).json()
    np.testing.assert_allclose([r["R"] for r in got], expected.fittedvalues.to_numpy(), rtol=1e-6, atol=1e-9)


def test_timestamps_off_the_frequency_are_refused(blank, inflation, train_over_http, error_of):
    train_over_http(blank, inflation, f"{PUT}&exclude=Dp")
    message = error_of(blank.get("/sarimax?index=1990-02-15"))
    assert "1990-02-15" in message and "QS-JAN" in message
    assert "1990-01-01" in message and "1990-04-01" in message
    message = error_of(blank.get("/sarimax?index=1960-01-01"))
    assert "before the training data starts" in message and "1972-04-01" in message
    message = error_of(blank.get("/sarimax?index=9999-01-01"))
    assert "too far ahead" in message
    message = error_of(blank.get(f"/sarimax?index={10**14}"))  # epoch millis beyond the limit
    assert "too far ahead" in message


def test_a_period_sent_twice_in_two_formats_is_one_duplicate_row(blank, inflation, epoch_records,
                                                                 iso_records):
    blank.put(f"/sarimax?{PUT}&exclude=Dp")
    blank.post("/sarimax?_action=append", json=iso_records(inflation))
    # The cache holds text, so the core stores these epoch milliseconds as digits, which the
    # backend reads as epoch milliseconds again.
    again = blank.post("/sarimax?_action=append", content=epoch_records(inflation.tail(5)),
                       headers=JSON)
    assert again.json() == {"appended": 5, "rows": 112}
    assert blank.post("/sarimax?_action=train").json()["rows"] == 107


def test_a_freq_much_finer_than_the_data_is_refused(blank, inflation, epoch_records, error_of):
    blank.put(f"/sarimax?{PUT}&exclude=Dp&freq=h")
    message = error_of(blank.post("/sarimax?_action=train", content=epoch_records(inflation),
                                  headers=JSON))
    assert "freq=h" in message and "107 rows" in message

"""datetime_parts on small frames; expected parts come from the standard library's datetime."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from mlhandler_transforms.dates import PARTS, datetime_parts

DATES = [datetime(2024, 3, 9, 14, 30, 5), datetime(2023, 12, 31, 0, 0, 0), datetime(2021, 1, 4, 23, 59, 59)]


def expected(moment: datetime, part: str) -> int:
    """Each part computed without pandas."""
    return {
        "year": moment.year, "quarter": (moment.month - 1) // 3 + 1, "month": moment.month,
        "day": moment.day, "dayofweek": moment.weekday(), "dayofyear": moment.timetuple().tm_yday,
        "week": moment.isocalendar()[1], "hour": moment.hour, "minute": moment.minute,
        "second": moment.second, "is_weekend": int(moment.weekday() >= 5),
    }[part]


def test_every_part_from_iso_text():
    data = pd.DataFrame({"date": [d.isoformat() for d in DATES], "Fare": [1.0, 2.0, 3.0]})
    result = datetime_parts(data, "date", list(PARTS))
    for part in PARTS:
        assert result[f"date_{part}"].tolist() == [expected(d, part) for d in DATES], part
        assert result[f"date_{part}"].dtype == "int64"
    assert result["date"].tolist() == data["date"].tolist()
    assert result.columns.tolist()[:2] == ["date", "Fare"]


def test_iso_dates_without_time():
    result = datetime_parts(pd.DataFrame({"d": ["2024-02-29", "2023-01-01"]}), "d", ["dayofyear", "week"])
    assert result["d_dayofyear"].tolist() == [60, 1]
    assert result["d_week"].tolist() == [9, 52]  # 2023-01-01 is a Sunday in ISO week 52 of 2022


def test_epoch_milliseconds_by_default_and_seconds_by_unit():
    moments = [datetime(2024, 3, 9, 14, 30, tzinfo=UTC), datetime(1999, 12, 31, 23, 0, tzinfo=UTC)]
    millis = pd.DataFrame({"t": [int(m.timestamp() * 1000) for m in moments]})
    result = datetime_parts(millis, "t", ["year", "hour"])
    assert result["t_year"].tolist() == [2024, 1999]
    assert result["t_hour"].tolist() == [14, 23]
    seconds = pd.DataFrame({"t": [m.timestamp() for m in moments]})
    assert datetime_parts(seconds, "t", ["month"], unit="s")["t_month"].tolist() == [3, 12]


def test_datetime_columns_are_used_as_they_are():
    data = pd.DataFrame({"d": pd.to_datetime(["2024-03-09", "2024-03-11"])})
    assert datetime_parts(data, "d", ["is_weekend"])["d_is_weekend"].tolist() == [1, 0]


def test_format_for_other_text():
    data = pd.DataFrame({"d": ["09/03/2024", "31/12/2023"]})
    result = datetime_parts(data, "d", ["day", "month"], format="%d/%m/%Y")
    assert result["d_day"].tolist() == [9, 31]
    assert result["d_month"].tolist() == [3, 12]


def test_text_not_in_the_format_says_to_set_it():
    with pytest.raises(ValueError, match=r"datetime_parts: column 'd' has a value that is not a date in format 'ISO8601': .*Set format"):
        datetime_parts(pd.DataFrame({"d": ["31/12/2023"]}), "d", ["year"])


def test_missing_dates_give_missing_parts():
    result = datetime_parts(pd.DataFrame({"d": ["2024-03-09", None]}), "d", ["year", "is_weekend"])
    assert result["d_year"].tolist()[0] == 2024
    assert pd.isna(result["d_year"].iloc[1])
    assert result["d_is_weekend"].tolist()[0] == 1
    assert pd.isna(result["d_is_weekend"].iloc[1])


def test_drop_removes_the_date_column():
    result = datetime_parts(pd.DataFrame({"d": ["2024-03-09"], "x": [1]}), "d", "year", drop=True)
    assert result.columns.tolist() == ["x", "d_year"]


def test_unknown_part_lists_the_parts():
    with pytest.raises(ValueError, match=r"datetime_parts: unknown part\(s\) \['weekday'\]; choose from \['year'"):
        datetime_parts(pd.DataFrame({"d": ["2024-03-09"]}), "d", ["year", "weekday"])


def test_absent_column_and_bad_options_are_errors():
    data = pd.DataFrame({"date": ["2024-03-09"], "flag": [True], "n": [1]})
    with pytest.raises(ValueError, match="datetime_parts: column 'data' is not in the data \\(did you mean 'date'\\?\\)"):
        datetime_parts(data, "data", ["year"])
    with pytest.raises(ValueError, match="datetime_parts: parts must be a column name or a non-empty list"):
        datetime_parts(data, "date", [])
    with pytest.raises(ValueError, match="datetime_parts: column 'flag' holds true/false, not dates"):
        datetime_parts(data, "flag", ["year"])
    with pytest.raises(ValueError, match="datetime_parts: unit must be one of"):
        datetime_parts(data, "n", ["year"], unit="hours")


def test_epoch_numbers_and_nulls_from_a_json_body():
    moment = datetime(2024, 3, 9, 14, 30, tzinfo=UTC)
    numbers = pd.DataFrame({"t": pd.Series([int(moment.timestamp() * 1000), None], dtype=object)})
    result = datetime_parts(numbers, "t", ["year", "hour"])
    assert result["t_year"].tolist()[0] == 2024
    assert result["t_hour"].tolist()[0] == 14
    assert pd.isna(result["t_year"].iloc[1])
    nulls = pd.DataFrame({"t": pd.Series([None], dtype=object)})
    assert pd.isna(datetime_parts(nulls, "t", ["year"])["t_year"].iloc[0])


def test_drop_must_be_true_or_false():
    with pytest.raises(ValueError, match="datetime_parts: drop must be true or false, not 'yes'"):
        datetime_parts(pd.DataFrame({"d": ["2024-03-09"]}), "d", ["year"], drop="yes")

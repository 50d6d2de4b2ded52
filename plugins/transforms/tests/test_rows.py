"""dropna and query on small frames."""

from __future__ import annotations

import pandas as pd
import pytest

from mlhandler_transforms.rows import dropna, query


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"Age": [22.0, None, 40.0, None], "Cabin": [None, "C85", None, None],
                         "Fare": [7.25, 71.5, 600.0, 8.0], "Survived": [0, 1, None, 1]})


def test_dropna_without_subset_drops_rows_with_any_missing_value(frame):
    assert dropna(frame).empty
    assert dropna(frame.drop(columns=["Cabin"]))["Fare"].tolist() == [7.25]


def test_dropna_subset_checks_only_those_columns(frame):
    result = dropna(frame, ["Age", "Survived"])
    assert result["Fare"].tolist() == [7.25]
    assert result.index.tolist() == [0]


def test_dropna_takes_one_name(frame):
    assert dropna(frame, "Survived")["Fare"].tolist() == [7.25, 71.5, 8.0]


def test_dropna_how_all(frame):
    assert dropna(frame, ["Age", "Cabin"], how="all")["Fare"].tolist() == [7.25, 71.5, 600.0]


def test_dropna_skips_the_target_absent_from_prediction_rows(frame):
    prediction = frame.drop(columns=["Survived"])
    assert dropna(prediction, ["Survived"])["Fare"].tolist() == [7.25, 71.5, 600.0, 8.0]
    assert dropna(prediction, ["Age", "Survived"])["Fare"].tolist() == [7.25, 600.0]


def test_dropna_bad_options(frame):
    with pytest.raises(ValueError, match="dropna: how must be 'any' or 'all', not 'some'"):
        dropna(frame, how="some")
    with pytest.raises(ValueError, match="dropna: subset must be a column name or a non-empty list"):
        dropna(frame, 3)


def test_query_keeps_rows_where_the_condition_holds(frame):
    result = query(frame, "Fare < 500 and Age > 0")
    assert result["Fare"].tolist() == [7.25]
    assert query(frame, "Fare < 500")["Fare"].tolist() == [7.25, 71.5, 8.0]


def test_query_can_test_for_missing_values(frame):
    assert query(frame, "Age.notna()")["Fare"].tolist() == [7.25, 600.0]


def test_query_can_leave_no_rows_of_a_single_prediction_row(frame):
    result = query(frame.head(1), "Fare > 100")
    assert result.empty
    assert result.columns.tolist() == frame.columns.tolist()


def test_query_unknown_column_lists_the_columns(frame):
    with pytest.raises(ValueError, match=r"query: the expression 'Fares < 5' failed: name 'Fares' is not defined. Columns are \['Age', 'Cabin', 'Fare', 'Survived'\]"):
        query(frame, "Fares < 5")


def test_query_needs_a_condition(frame):
    with pytest.raises(ValueError, match=r"query: 'Fare \* 2' is not a condition"):
        query(frame, "Fare * 2")


@pytest.mark.parametrize("expr", ["Fare <", "", 5])
def test_query_needs_a_valid_expression(frame, expr):
    with pytest.raises(ValueError, match="query: the expression"):
        query(frame, expr)

"""assign on small frames."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mlhandler_transforms.expressions import assign


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"X1": [0.0, 1.0, -2.0], "X2": [0.5, 0.0, 3.0], "Fare": [10.0, 20.0, 30.0],
                         "SibSp": [0, 1, 2], "Parch": [1, 0, 2]})


def test_assign_replaces_a_column_with_an_expression_of_it(frame):
    result = assign(frame, X1="exp(-X1**2)", X2="exp(-X2**2)")
    assert result["X1"].tolist() == pytest.approx([1.0, math.exp(-1), math.exp(-4)])
    assert result["X2"].tolist() == pytest.approx([math.exp(-0.25), 1.0, math.exp(-9)])
    assert frame["X1"].tolist() == [0.0, 1.0, -2.0]


def test_assign_adds_columns_in_order_so_later_ones_use_earlier_ones(frame):
    result = assign(frame, family="SibSp + Parch + 1", fare_each="Fare / family")
    assert result["family"].tolist() == [2, 2, 5]
    assert result["fare_each"].tolist() == [5.0, 10.0, 6.0]
    assert result.columns.tolist()[-2:] == ["family", "fare_each"]


def test_assign_a_number_is_a_constant_column(frame):
    assert assign(frame, bias=1)["bias"].tolist() == [1, 1, 1]


def test_assign_names_with_spaces_use_backticks():
    result = assign(pd.DataFrame({"ticket fare": [1.0, 3.0]}), double="`ticket fare` * 2")
    assert result["double"].tolist() == [2.0, 6.0]


def test_assign_unknown_column_names_the_target_and_lists_columns(frame):
    with pytest.raises(ValueError, match=r"assign: the expression for 'X3' 'exp\(-X3\*\*2\)' failed: name 'X3' is not defined. Columns are \['X1'"):
        assign(frame, X3="exp(-X3**2)")


def test_assign_refuses_an_assignment_expression(frame):
    with pytest.raises(ValueError, match="assign: the expression for 'Y' .* gives a table, not a column"):
        assign(frame, Y="Z = X1 + 1")


@pytest.mark.parametrize("expr", ["", ["X1"], None, "X1 +"])
def test_assign_needs_a_valid_expression(frame, expr):
    with pytest.raises(ValueError, match="assign: the expression for 'Y'"):
        assign(frame, Y=expr)


def test_assign_needs_a_column(frame):
    with pytest.raises(ValueError, match="assign: give at least one column"):
        assign(frame)


def test_a_column_named_data_is_an_ordinary_option(frame):
    # The data parameter is positional-only, so `{assign: {data: ...}}` names a column.
    result = assign(frame.rename(columns={"Fare": "data"}), data="data * 2")
    assert result["data"].tolist() == [20.0, 40.0, 60.0]

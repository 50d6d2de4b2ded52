"""fillna, clip, log1p, bin, replace on small frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlhandler_transforms.values import bin, clip, fillna, log1p, replace


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"Age": [5.0, None, 40.0, 80.0], "Fare": [-3.0, 0.0, 50.0, 500.0],
                         "Embarked": ["S", None, "C", "Q"], "Pclass": [3, 1, 2, 1]})


# --- fillna ---------------------------------------------------------------------------------------
def test_fillna_fills_only_the_named_columns(frame):
    result = fillna(frame, Age=28, Embarked="S")
    assert result["Age"].tolist() == [5.0, 28.0, 40.0, 80.0]
    assert result["Embarked"].tolist() == ["S", "S", "C", "Q"]
    assert result["Fare"].equals(frame["Fare"])


def test_fillna_absent_column_suggests_the_close_name(frame):
    with pytest.raises(ValueError, match=r"fillna: column 'Agee' is not in the data \(did you mean 'Age'\?\); columns are \['Age', 'Fare', 'Embarked', 'Pclass'\]"):
        fillna(frame, Agee=28)


def test_fillna_text_into_numbers_is_an_error(frame):
    with pytest.raises(ValueError, match="fillna: column 'Age' holds numbers; fill it with a number, not 'young'"):
        fillna(frame, Age="young")


def test_fillna_number_into_text_says_to_quote_it(frame):
    with pytest.raises(ValueError, match="fillna: column 'Embarked' holds text; fill it with text \\(quote it: '0'\\)"):
        fillna(frame, Embarked=0)


def test_fillna_needs_single_values(frame):
    with pytest.raises(ValueError, match="fillna: the value for 'Age' must be a single value"):
        fillna(frame, Age=[1, 2])


def test_fillna_needs_a_column(frame):
    with pytest.raises(ValueError, match="fillna: give at least one column"):
        fillna(frame)


# --- clip -----------------------------------------------------------------------------------------
def test_clip_limits_to_bounds(frame):
    result = clip(frame, Fare=[0, 100], Age=[None, 50])
    assert result["Fare"].tolist() == [0.0, 0.0, 50.0, 100.0]
    assert result["Age"].tolist()[0::2] == [5.0, 40.0]
    assert result["Age"].tolist()[3] == 50.0
    assert pd.isna(result["Age"].iloc[1])


@pytest.mark.parametrize("bounds", [[0], 100, [0, 1, 2], "0,100"])
def test_clip_needs_a_pair(frame, bounds):
    with pytest.raises(ValueError, match=r"clip: the bounds for 'Fare' must be \[lower, upper\]"):
        clip(frame, Fare=bounds)


def test_clip_bounds_must_be_numbers_in_order(frame):
    with pytest.raises(ValueError, match="clip: the lower bound for 'Fare' must be a number or null, not 'low'"):
        clip(frame, Fare=["low", 100])
    with pytest.raises(ValueError, match="clip: for 'Fare' the lower bound 100 exceeds the upper 0"):
        clip(frame, Fare=[100, 0])


def test_clip_text_column_is_an_error(frame):
    with pytest.raises(ValueError, match=r"clip: column 'Embarked' is not numeric .*astype"):
        clip(frame, Embarked=[0, 1])


# --- log1p ----------------------------------------------------------------------------------------
def test_log1p_takes_log_of_one_plus_x(frame):
    result = log1p(frame.assign(Fare=[0.0, 1.0, 50.0, 500.0]), ["Fare", "Pclass"])
    assert result["Fare"].tolist() == pytest.approx([0.0, math.log(2), math.log(51), math.log(501)])
    assert result["Pclass"].tolist() == pytest.approx([math.log(4), math.log(2), math.log(3), math.log(2)])
    assert result["Age"].equals(frame["Age"])


def test_log1p_takes_one_name(frame):
    result = log1p(frame, "Age")
    assert result["Age"].iloc[0] == pytest.approx(math.log(6))
    assert pd.isna(result["Age"].iloc[1])


def test_log1p_refuses_values_without_a_logarithm():
    with pytest.raises(ValueError, match=r"log1p: column 'Fare' has values at or below -1 \(smallest -3.0\).*clip"):
        log1p(pd.DataFrame({"Fare": [-3.0, 2.0]}), ["Fare"])


def test_log1p_text_and_absent_columns_are_errors(frame):
    with pytest.raises(ValueError, match="log1p: column 'Embarked' is not numeric"):
        log1p(frame, ["Embarked"])
    with pytest.raises(ValueError, match="log1p: column 'Fares' is not in the data"):
        log1p(frame, ["Fares"])


# --- bin ------------------------------------------------------------------------------------------
def test_bin_labels_into_a_new_column(frame):
    result = bin(frame, "Age", [0, 18, 60, 120], ["child", "adult", "senior"], into="AgeGroup")
    assert result["AgeGroup"].tolist()[0::2] == ["child", "adult"]
    assert result["AgeGroup"].iloc[3] == "senior"
    assert pd.isna(result["AgeGroup"].iloc[1])
    assert result["Age"].equals(frame["Age"])


def test_bin_default_labels_are_the_intervals_in_place(frame):
    result = bin(frame, "Age", [0, 18, 60])
    assert result.columns.tolist() == frame.columns.tolist()
    assert result["Age"].iloc[0] == "(0, 18]"
    assert result["Age"].iloc[2] == "(18, 60]"
    assert pd.isna(result["Age"].iloc[3])  # 80 is outside the edges


def test_bin_right_and_include_lowest():
    data = pd.DataFrame({"x": [0, 10, 20]})
    assert bin(data, "x", [0, 10, 20])["x"].tolist()[1] == "(0, 10]"
    assert pd.isna(bin(data, "x", [0, 10, 20])["x"].iloc[0])
    assert bin(data, "x", [0, 10, 20], include_lowest=True)["x"].tolist() == ["[0, 10]", "[0, 10]", "(10, 20]"]
    left = bin(data, "x", [0, 10, 20], right=False)["x"]
    assert left.tolist()[:2] == ["[0, 10)", "[10, 20)"]
    assert pd.isna(left.iloc[2])


def test_bin_numeric_labels_give_numbers():
    result = bin(pd.DataFrame({"x": [1, 15]}), "x", [0, 10, 20], [1, 2])
    assert result["x"].tolist() == [1.0, 2.0]
    assert result["x"].dtype == "float64"


def test_bin_one_row_outside_the_edges_keeps_the_text_type():
    result = bin(pd.DataFrame({"Age": [500.0]}), "Age", [0, 18, 120], ["young", "old"])
    assert pd.api.types.is_string_dtype(result["Age"].dtype)
    assert pd.isna(result["Age"].iloc[0])


def test_bin_refuses_a_count_of_bins(frame):
    with pytest.raises(ValueError, match="bin: bins must be a list of edges .* not a count"):
        bin(frame, "Age", 4)


@pytest.mark.parametrize("bins", [[0], [0, 60, 18], [0, "18"], [0, None, 10]])
def test_bin_edges_must_be_increasing_numbers(frame, bins):
    with pytest.raises(ValueError, match="bin: (bins must be a list of at least two|the edges in bins|each edge in bins)"):
        bin(frame, "Age", bins)


def test_bin_needs_one_label_per_interval(frame):
    with pytest.raises(ValueError, match="bin: labels must be a list of 2 names, one per interval between the 3 edges"):
        bin(frame, "Age", [0, 18, 60], ["child", "adult", "senior"])


def test_bin_text_column_is_an_error(frame):
    with pytest.raises(ValueError, match="bin: column 'Embarked' is not numeric"):
        bin(frame, "Embarked", [0, 1])


# --- replace --------------------------------------------------------------------------------------
def test_replace_maps_values_and_keeps_the_rest(frame):
    result = replace(frame, Embarked={"S": "Southampton", "C": "Cherbourg"}, Pclass={1: 100})
    assert result["Embarked"].tolist()[0::2] == ["Southampton", "Cherbourg"]
    assert result["Embarked"].iloc[3] == "Q"
    assert pd.isna(result["Embarked"].iloc[1])
    assert result["Pclass"].tolist() == [3, 100, 2, 100]


def test_replace_text_by_numbers_gives_a_numeric_column():
    result = replace(pd.DataFrame({"Sex": ["male", "female", "male"]}), Sex={"male": 0, "female": 1})
    assert result["Sex"].tolist() == [0, 1, 0]
    assert pd.api.types.is_integer_dtype(result["Sex"].dtype)


@pytest.mark.parametrize("mapping", [["S", "C"], "S", {}])
def test_replace_needs_a_mapping(frame, mapping):
    with pytest.raises(ValueError, match=r"replace: the replacements for 'Embarked' must be a mapping \{old: new\}"):
        replace(frame, Embarked=mapping)


def test_replace_absent_column_is_an_error(frame):
    with pytest.raises(ValueError, match="replace: column 'Port' is not in the data"):
        replace(frame, Port={"S": "s"})


def test_value_transforms_return_new_frames(frame):
    before = frame.copy()
    for result in (fillna(frame, Age=1), clip(frame, Fare=[0, 1]), log1p(frame, ["Pclass"]),
                   bin(frame, "Age", [0, 100]), replace(frame, Embarked={"S": "x"})):
        assert result is not frame
    pd.testing.assert_frame_equal(frame, before)
    assert np.isnan(frame["Age"].iloc[1])


def test_numbers_from_a_json_body_count_as_numbers():
    # A JSON body gives object columns: [null] has no type, [1, null, 2.5] holds Python numbers.
    data = pd.DataFrame({"Age": pd.Series([None], dtype=object),
                         "Fare": pd.Series([600], dtype=object)})
    filled = fillna(data, Age=28)
    assert filled["Age"].tolist() == [28]
    assert pd.api.types.is_integer_dtype(filled["Age"].dtype)
    assert clip(data, Fare=[0, 500])["Fare"].tolist() == [500]
    assert log1p(data, ["Fare"])["Fare"].tolist() == pytest.approx([math.log(601)])
    assert pd.isna(log1p(data, ["Age"])["Age"].iloc[0])
    assert bin(data, "Fare", [0, 100, 1000], ["low", "high"])["Fare"].tolist() == ["high"]
    mixed = pd.DataFrame({"x": pd.Series([1, None, 2.5], dtype=object)})
    assert clip(mixed, x=[0, 2])["x"].tolist()[0::2] == [1.0, 2.0]
    with pytest.raises(ValueError, match="clip: column 'x' is not numeric"):
        clip(pd.DataFrame({"x": pd.Series([1, "a"], dtype=object)}), x=[0, 2])


def test_bin_flags_must_be_true_or_false(frame):
    with pytest.raises(ValueError, match="bin: right must be true or false, not 'no'"):
        bin(frame, "Age", [0, 100], right="no")

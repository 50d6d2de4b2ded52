"""select, drop, rename, astype on small frames."""

from __future__ import annotations

import pandas as pd
import pytest

from mlhandler_transforms.columns import astype, drop, rename, select


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"Age": [22.0, None], "Fare": [7.25, 71.5], "Sex": ["male", "female"],
                         "Survived": [0, 1]})


def test_select_keeps_listed_columns_in_listed_order(frame):
    result = select(frame, ["Survived", "Age"])
    assert result.columns.tolist() == ["Survived", "Age"]
    assert result["Survived"].tolist() == [0, 1]


def test_select_takes_one_name(frame):
    assert select(frame, "Fare").columns.tolist() == ["Fare"]


def test_select_skips_the_target_absent_from_prediction_rows(frame):
    prediction_row = frame.drop(columns=["Survived"]).head(1)
    result = select(prediction_row, ["Age", "Fare", "Survived"])
    assert result.columns.tolist() == ["Age", "Fare"]
    assert result["Fare"].tolist() == [7.25]


def test_select_strict_names_the_absent_column(frame):
    with pytest.raises(ValueError, match=r"select: column 'Agee' is not in the data \(did you mean 'Age'\?\)"):
        select(frame, ["Agee", "Fare"], missing="error")


def test_select_with_no_listed_column_present_is_an_error(frame):
    with pytest.raises(ValueError, match=r"select: none of the columns \['Agee'\] is in the data"):
        select(frame, ["Agee"])


@pytest.mark.parametrize("columns", [[], 3, [1, 2], None])
def test_select_refuses_columns_that_are_not_names(frame, columns):
    with pytest.raises(ValueError, match="select: columns must be a column name or a non-empty list"):
        select(frame, columns)


def test_select_refuses_an_unknown_missing_option(frame):
    with pytest.raises(ValueError, match="select: missing must be 'ignore' or 'error', not 'skip'"):
        select(frame, ["Age"], missing="skip")


def test_drop_removes_listed_columns_and_skips_absent_ones(frame):
    result = drop(frame, ["Sex", "Cabin"])
    assert result.columns.tolist() == ["Age", "Fare", "Survived"]


def test_drop_strict_names_the_absent_column(frame):
    with pytest.raises(ValueError, match="drop: column 'Cabin' is not in the data"):
        drop(frame, ["Sex", "Cabin"], missing="error")


def test_rename_renames_and_skips_absent_old_names(frame):
    result = rename(frame, Sex="gender", Survived="label")
    assert result.columns.tolist() == ["Age", "Fare", "gender", "label"]
    prediction_row = frame.drop(columns=["Survived"])
    assert rename(prediction_row, Survived="label").columns.tolist() == ["Age", "Fare", "Sex"]


def test_rename_can_swap_names(frame):
    result = rename(frame, Age="Fare", Fare="Age")
    assert result.columns.tolist() == ["Fare", "Age", "Sex", "Survived"]
    assert result["Age"].tolist() == [7.25, 71.5]


def test_rename_onto_an_existing_column_is_an_error(frame):
    with pytest.raises(ValueError, match="rename: the result would have two columns named 'Fare'"):
        rename(frame, Age="Fare")


@pytest.mark.parametrize("new", [3, "", None])
def test_rename_needs_text_names(frame, new):
    with pytest.raises(ValueError, match="rename: the new name for 'Age' must be text"):
        rename(frame, Age=new)


def test_rename_needs_a_column(frame):
    with pytest.raises(ValueError, match=r"rename: give at least one column, e\.g\."):
        rename(frame)


def test_astype_converts_each_column(frame):
    result = astype(frame, Survived="str", Fare="int", Sex="category")
    assert result["Survived"].tolist() == ["0", "1"]
    assert result["Fare"].tolist() == [7, 71]
    assert result["Fare"].dtype == "int64"
    assert isinstance(result["Sex"].dtype, pd.CategoricalDtype)
    assert result["Age"].equals(frame["Age"])


def test_astype_nullable_integers_keep_missing_values(frame):
    result = astype(frame, Age="Int64")
    assert result["Age"].iloc[0] == 22
    assert pd.isna(result["Age"].iloc[1])


def test_astype_integer_with_missing_values_says_how_to_fix(frame):
    with pytest.raises(ValueError, match=r"astype: column 'Age' cannot become int: .*Int64"):
        astype(frame, Age="int")


def test_astype_unknown_type_is_an_error(frame):
    with pytest.raises(ValueError, match="astype: 'integer' \\(for 'Age'\\) is not a type"):
        astype(frame, Age="integer")


def test_astype_text_that_is_not_a_number(frame):
    with pytest.raises(ValueError, match="astype: column 'Sex' cannot become float"):
        astype(frame, Sex="float")


def test_astype_absent_column_is_an_error(frame):
    with pytest.raises(ValueError, match="astype: column 'Pclass' is not in the data; columns are"):
        astype(frame, Pclass="str")

"""lowercase and strip on small frames."""

from __future__ import annotations

import pandas as pd
import pytest

from mlhandler_transforms.text import lowercase, strip


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"Name": [" Braund, Mr. Owen ", "CUMINGS\t", None],
                         "Sex": ["Male", " female", "MALE"], "Age": [22.0, 38.0, None],
                         "Mixed": pd.Series([" A ", 3, None], dtype=object)})


def test_lowercase_every_text_column_by_default(frame):
    result = lowercase(frame)
    assert result["Name"].tolist()[:2] == [" braund, mr. owen ", "cumings\t"]
    assert pd.isna(result["Name"].iloc[2])
    assert result["Sex"].tolist() == ["male", " female", "male"]
    assert result["Mixed"].tolist()[:2] == [" a ", 3]  # numbers in a mixed column stay numbers
    assert result["Age"].equals(frame["Age"])


def test_lowercase_only_named_columns(frame):
    result = lowercase(frame, ["Sex"])
    assert result["Sex"].tolist() == ["male", " female", "male"]
    assert result["Name"].equals(frame["Name"])


def test_lowercase_keeps_the_text_type(frame):
    assert lowercase(frame, "Sex")["Sex"].dtype == frame["Sex"].dtype


def test_strip_every_text_column_by_default(frame):
    result = strip(frame)
    assert result["Name"].tolist()[:2] == ["Braund, Mr. Owen", "CUMINGS"]
    assert result["Sex"].tolist() == ["Male", "female", "MALE"]
    assert result["Mixed"].tolist()[:2] == ["A", 3]


def test_strip_only_named_columns(frame):
    result = strip(frame, "Sex")
    assert result["Sex"].tolist() == ["Male", "female", "MALE"]
    assert result["Name"].equals(frame["Name"])


@pytest.mark.parametrize("transform", [lowercase, strip])
def test_text_transforms_refuse_numeric_columns(frame, transform):
    name = transform.__name__
    with pytest.raises(ValueError, match=rf"{name}: column 'Age' is not text .*astype"):
        transform(frame, ["Sex", "Age"])


@pytest.mark.parametrize("transform", [lowercase, strip])
def test_text_transforms_absent_column_is_an_error(frame, transform):
    with pytest.raises(ValueError, match=rf"{transform.__name__}: column 'sex' is not in the data \(did you mean 'Sex'\?\)"):
        transform(frame, ["sex"])

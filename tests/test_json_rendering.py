"""Records JSON is built column by column for speed; it must equal, byte for byte, encoding one
dict per row, for every kind of column a prediction can hold."""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pytest

from mlhandler.jsonsafe import dumps, frame_records, frame_rows_json, frame_to_json

ODD = pd.DataFrame({
    "float": [1.5, np.nan, np.inf],
    "text": ["x,y", None, 'q"\\'],
    "quotes": ['a","b', "", "\x00"],
    "when": pd.to_datetime(["2020-01-01", None, "2021-01-01"]),
    "nullable": pd.array([1, None, 3], dtype="Int64"),
    "flag": [True, False, True],
    "f32": np.array([0.1, 2, 3], dtype="float32"),
    "u64": np.array([2**64 - 1, 0, 1], dtype="uint64"),
    "nested": [{"x": 1}, [1, 2], None],
    "unicode": ["नमस्ते", "😀", "é"],
    "category": pd.Categorical(["a", None, "b"]),
    "big": [2**70, 1, 2],
})


def per_row(frame: pd.DataFrame) -> bytes:
    return dumps(frame_records(frame))


@pytest.mark.parametrize("column", list(ODD.columns))
def test_each_kind_of_column_encodes_as_per_row_dicts(column):
    frame = ODD[[column]]
    assert frame_to_json(frame) == per_row(frame)
    assert [orjson.loads(row) for row in frame_rows_json(frame)] == orjson.loads(per_row(frame))


def test_a_frame_of_every_kind_together():
    assert frame_to_json(ODD) == per_row(ODD)


def test_random_frames_match(titanic):
    rng = np.random.default_rng(7)
    sample = titanic.sample(500, replace=True, random_state=3).reset_index(drop=True)
    sample["noise"] = rng.normal(size=len(sample)) * 1e-300  # subnormal-ish floats round-trip
    assert frame_to_json(sample) == per_row(sample)
    assert orjson.loads(frame_to_json(sample))[0]["noise"] == sample["noise"][0]


def test_empty_and_columnless_frames():
    assert frame_to_json(pd.DataFrame({"a": []})) == b"[]"
    assert frame_to_json(pd.DataFrame(index=[0, 1])) == per_row(pd.DataFrame(index=[0, 1]))
    duplicated = pd.DataFrame([[1, 2]], columns=["a", "a"])
    assert frame_to_json(duplicated) == per_row(duplicated)

"""Request bodies in every form api.md §2.2 accepts (JSON shapes, CSV, curl -d, multipart
uploads), for predict, append and train; bad bodies (400) and oversized bodies (413)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from tests.helpers import (
    CATS,
    EXCLUDE,
    FEATURES,
    TARGET,
    TITANIC_YAML,
    assert_error,
    downloaded_model,
    local_pipeline,
)

# The seed endpoint with a 1 KB body limit.
SMALL_LIMIT_YAML = """
app:
  max_body_mb: 0.001""" + TITANIC_YAML


# --- building bodies -----------------------------------------------------------------------------
def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def _json(content: str | bytes, ctype: str = "application/json") -> dict:
    return {"content": content, "headers": {"Content-Type": ctype}}


def file_bytes(frame: pd.DataFrame, ext: str) -> bytes:
    """`frame` written as a file of type `ext`, in memory, with pandas."""
    if ext == "csv":
        return frame.to_csv(index=False).encode()
    if ext == "tsv":
        return frame.to_csv(index=False, sep="\t").encode()
    if ext == "json":
        return frame.to_json(orient="records").encode()
    if ext == "jsonl":
        return frame.to_json(orient="records", lines=True).encode()
    buffer = io.BytesIO()
    if ext == "xlsx":
        frame.to_excel(buffer, index=False)
    elif ext == "parquet":
        frame.to_parquet(buffer, index=False)
    else:
        raise AssertionError(ext)
    return buffer.getvalue()


def upload(name: str, frame: pd.DataFrame) -> dict:
    return {"files": {"file": (name, file_bytes(frame, name.rsplit(".", 1)[-1].lower()))}}


BODIES: dict[str, Callable[[pd.DataFrame], dict]] = {
    "json-records": lambda f: _json(f.to_json(orient="records")),
    "json-columns": lambda f: _json(json.dumps({c: [r[c] for r in _records(f)] for c in f.columns})),
    "json-pandas-default": lambda f: _json(f.to_json()),
    "csv": lambda f: _json(f.to_csv(index=False), "text/csv"),
    "curl-d-json": lambda f: _json(f.to_json(orient="records"), "application/x-www-form-urlencoded"),
    "curl-d-csv": lambda f: _json(f.to_csv(index=False), "application/x-www-form-urlencoded"),
    "upload-csv": lambda f: upload("data.csv", f),
    "upload-tsv": lambda f: upload("data.tsv", f),
    "upload-json": lambda f: upload("data.json", f),
    "upload-jsonl": lambda f: upload("data.jsonl", f),
    "upload-xlsx": lambda f: upload("data.xlsx", f),
    "upload-parquet": lambda f: upload("data.parquet", f),
    "upload-CSV-uppercase": lambda f: upload("DATA.CSV", f),
    "upload-Json-mixedcase": lambda f: upload("Data.Json", f),
    "upload-PARQUET-uppercase": lambda f: upload("DATA.PARQUET", f),
}


# --- helpers -------------------------------------------------------------------------------------
def normalise(rows: list[dict], columns: list[str]) -> list[list]:
    """Rows as plain lists with missing values as None and whole floats as ints, for comparing."""
    out = []
    for row in rows:
        values = []
        for c in columns:
            v = row.get(c)
            if v is None or (isinstance(v, float) and np.isnan(v)):
                v = None
            elif isinstance(v, float) and v.is_integer():
                v = int(v)
            values.append(v)
        out.append(values)
    return out


@pytest.fixture
def sample(titanic) -> pd.DataFrame:
    """15 rows (more than 10, so a text-sorted index would show) including missing Age/Cabin."""
    frame = titanic.iloc[:15].reset_index(drop=True)
    assert frame["Age"].isna().any() and frame["Cabin"].isna().any()
    return frame


# --- predict -------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", list(BODIES))
def test_predict_body_forms(titanic_client, sample, form):
    r = titanic_client.post("/titanic?_action=predict", **BODIES[form](sample))
    assert r.status_code == 200, r.text
    out = r.json()
    assert len(out) == len(sample)
    assert [o["PassengerId"] for o in out] == sample["PassengerId"].tolist()
    assert [o["Name"] for o in out] == sample["Name"].tolist()
    expected = downloaded_model(titanic_client).predict(sample[FEATURES])
    assert [o[TARGET] for o in out] == expected.tolist()


@pytest.mark.parametrize("form", ["json-records", "json-pandas-default", "csv", "upload-csv"])
def test_predict_body_with_non_default_index(titanic_client, titanic, form):
    part = titanic.iloc[200:230]  # index 200..229, with missing ages
    r = titanic_client.post("/titanic", **BODIES[form](part))
    assert r.status_code == 200, r.text
    out = r.json()
    assert [o["PassengerId"] for o in out] == part["PassengerId"].tolist()
    assert [o[TARGET] for o in out] == local_pipeline(titanic).predict(part[FEATURES]).tolist()


def test_predict_single_object_is_one_row(titanic_client, titanic):
    row = {"Sex": "female", "Age": 38, "SibSp": 1, "Parch": 0, "Fare": 71.2833, "Pclass": 1, "Embarked": "C"}
    r = titanic_client.post("/titanic?_action=predict", json=row)
    assert r.status_code == 200, r.text
    out = r.json()
    assert isinstance(out, list) and len(out) == 1
    assert out[0]["Sex"] == "female" and out[0]["Fare"] == 71.2833
    expected = local_pipeline(titanic).predict(pd.DataFrame([row])[FEATURES].astype({"Age": float}))[0]
    assert out[0][TARGET] == int(expected)


def test_predict_two_uploaded_files_concatenated(titanic_client, titanic):
    first, second = titanic.iloc[0:10], titanic.iloc[10:25]
    files = [
        ("file", ("first.csv", file_bytes(first, "csv"))),
        ("file", ("second.json", file_bytes(second, "json"))),
    ]
    r = titanic_client.post("/titanic?_action=predict", files=files)
    assert r.status_code == 200, r.text
    out = r.json()
    both = pd.concat([first, second])
    assert [o["PassengerId"] for o in out] == both["PassengerId"].tolist()
    assert [o[TARGET] for o in out] == local_pipeline(titanic).predict(both[FEATURES]).tolist()


# --- append --------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", list(BODIES))
def test_append_body_forms(titanic_client, titanic, sample, form):
    r = titanic_client.post("/titanic?_action=append", **BODIES[form](sample))
    assert r.status_code == 200, r.text
    assert r.json() == {"appended": len(sample), "rows": len(titanic) + len(sample)}
    cache = titanic_client.get("/titanic?_cache").json()
    assert len(cache) == len(titanic) + len(sample)
    columns = list(titanic.columns)
    assert list(cache[0]) == columns
    assert normalise(cache[-len(sample):], columns) == normalise(_records(sample), columns)
    assert normalise(cache[: len(titanic)], columns) == normalise(_records(titanic), columns)


def test_append_single_object_with_a_list_of_objects(blank_client):
    """One row whose cell is a list of objects (NER spans) is one row, as a one-element list is."""
    row = {"text": "Modi met Obama", "labels": [{"start": 0, "end": 4, "label": "PER"}]}
    r = blank_client.post("/blank?_action=append", json=row)
    assert r.status_code == 200, r.text
    assert r.json() == {"appended": 1, "rows": 1}
    assert blank_client.get("/blank?_cache").json() == [row]


def test_append_single_object(titanic_client, titanic):
    row = _records(titanic.iloc[[3]])[0]
    r = titanic_client.post("/titanic?_action=append", json=row)
    assert r.status_code == 200, r.text
    assert r.json() == {"appended": 1, "rows": len(titanic) + 1}
    cache = titanic_client.get("/titanic?_cache").json()
    assert normalise(cache[-1:], list(titanic.columns)) == normalise([row], list(titanic.columns))


def test_append_two_uploaded_files(blank_client, titanic):
    first, second = titanic.iloc[0:12], titanic.iloc[12:20]
    files = [
        ("a", ("part1.CSV", file_bytes(first, "csv"))),
        ("b", ("part2.parquet", file_bytes(second, "parquet"))),
    ]
    r = blank_client.post("/blank?_action=append", files=files)
    assert r.status_code == 200, r.text
    assert r.json() == {"appended": 20, "rows": 20}
    cache = blank_client.get("/blank?_cache").json()
    columns = list(titanic.columns)
    assert normalise(cache, columns) == normalise(_records(titanic.iloc[:20]), columns)


# --- train ---------------------------------------------------------------------------------------
def configure_blank(client) -> None:
    query = "class=LogisticRegression&target_col=Survived"
    query += "".join(f"&exclude={c}" for c in EXCLUDE) + "".join(f"&cats={c}" for c in CATS)
    r = client.put(f"/blank?{query}")
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("form", list(BODIES))
def test_train_body_forms(blank_client, titanic, form):
    configure_blank(blank_client)
    r = blank_client.post("/blank?_action=train", **BODIES[form](titanic))
    assert r.status_code == 200, r.text
    result = r.json()
    frame = titanic[FEATURES + [TARGET]].dropna().drop_duplicates()
    local = local_pipeline(titanic)
    assert result["metric"] == "accuracy"
    assert result["rows"] == len(frame)
    assert result["score"] == pytest.approx(local.score(frame[FEATURES], frame[TARGET]), abs=1e-6)
    # the body replaced the (empty) cache, and the new model serves predictions
    cache = blank_client.get("/blank?_cache").json()
    assert len(cache) == len(titanic)
    out = blank_client.post("/blank", json=_records(titanic.head(20)))
    assert out.status_code == 200, out.text
    assert [o[TARGET] for o in out.json()] == local.predict(titanic.head(20)[FEATURES]).tolist()


def test_train_body_replaces_cache(titanic_client, titanic):
    part = titanic.iloc[:400]
    r = titanic_client.post("/titanic?_action=train", **BODIES["upload-csv"](part))
    assert r.status_code == 200, r.text
    frame = part[FEATURES + [TARGET]].dropna().drop_duplicates()
    assert r.json()["rows"] == len(frame)
    cache = titanic_client.get("/titanic?_cache").json()
    assert len(cache) == len(part)
    assert [c["PassengerId"] for c in cache] == part["PassengerId"].tolist()


# --- bad bodies: 400 -----------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["predict", "append"])
def test_unparseable_json_400(titanic_client, action):
    r = titanic_client.post(f"/titanic?_action={action}", **_json('[{"Sex": "male", "Age": '))
    assert_error(r, 400, "JSON")


@pytest.mark.parametrize("action", ["predict", "append"])
def test_unparseable_json_upload_400(titanic_client, action):
    r = titanic_client.post(f"/titanic?_action={action}", files={"file": ("broken.json", b'[{"Sex": ')})
    assert_error(r, 400, "JSON")


def test_bad_file_among_several_uploads_is_named(titanic_client, sample):
    files = [
        ("file", ("good.csv", file_bytes(sample, "csv"))),
        ("file", ("broken.json", b'[{"Sex": ')),
    ]
    assert_error(titanic_client.post("/titanic", files=files), 400, "broken.json")


@pytest.mark.parametrize("action", ["predict", "append"])
def test_json_list_of_non_objects_400(titanic_client, action):
    r = titanic_client.post(f"/titanic?_action={action}", **_json("[1, 2, 3]"))
    assert_error(r, 400, "object")


@pytest.mark.parametrize("body", ["42", '"text"', '{"a": [1, 2], "b": 3}', '{"a": [{"x": 1}, 2], "b": 3}',
                                  '{"a": [], "b": 3}', '{"a": {"x": 1}, "b": 3}'])
def test_json_of_wrong_shape_400(titanic_client, body):
    assert_error(titanic_client.post("/titanic", **_json(body)), 400)


@pytest.mark.parametrize("action", ["predict", "append"])
def test_column_lists_of_unequal_length_400(titanic_client, action):
    r = titanic_client.post(f"/titanic?_action={action}", json={"Sex": ["male", "female"], "Age": [22]})
    assert_error(r, 400, "length")


@pytest.mark.parametrize("name", ["data.docx", "data.bin", "data"])
@pytest.mark.parametrize("action", ["predict", "append"])
def test_unknown_file_extension_400(titanic_client, sample, action, name):
    r = titanic_client.post(f"/titanic?_action={action}", files={"file": (name, file_bytes(sample, "csv"))})
    assert_error(r, 400, name)


def test_txt_upload_is_read_as_csv(titanic_client, sample):
    r = titanic_client.post("/titanic", files={"file": ("data.txt", file_bytes(sample, "csv"))})
    assert r.status_code == 200, r.text
    assert [o["PassengerId"] for o in r.json()] == sample["PassengerId"].tolist()


@pytest.mark.parametrize("action", ["predict", "append"])
def test_empty_upload_400(titanic_client, action):
    r = titanic_client.post(f"/titanic?_action={action}", files={"file": ("empty.csv", b"")})
    assert_error(r, 400, "empty.csv", "empty")


@pytest.mark.parametrize("name", ["bad.parquet", "bad.xlsx"])
def test_corrupt_binary_upload_400(titanic_client, name):
    r = titanic_client.post("/titanic", files={"file": (name, b"this is not a real file" * 10)})
    assert_error(r, 400, name.rsplit(".", 1)[-1])


@pytest.mark.parametrize("action", ["predict", "append"])
def test_multipart_without_file_400(titanic_client, action):
    r = titanic_client.post(f"/titanic?_action={action}", files={"note": (None, "just a field")})
    assert r.request.headers["content-type"].startswith("multipart/form-data")
    assert_error(r, 400, "file")


@pytest.mark.parametrize("ctype", ["application/xml", "image/png"])
def test_unsupported_content_type_400(titanic_client, ctype):
    r = titanic_client.post("/titanic", **_json(b"<rows><row/></rows>", ctype))
    assert_error(r, 400, ctype)


@pytest.mark.parametrize("url", ["/titanic", "/titanic?_action=predict", "/titanic?_action=append"])
def test_missing_body_400(titanic_client, titanic, url):
    r = titanic_client.post(url)
    assert_error(r, 400, "body")
    # nothing fell back to the cache: it is unchanged
    assert len(titanic_client.get("/titanic?_cache").json()) == len(titanic)


@pytest.mark.parametrize("body", ["[]", "{}"])
def test_empty_json_predict_400(titanic_client, body):
    assert_error(titanic_client.post("/titanic?_action=predict", **_json(body)), 400)


def test_bad_append_leaves_cache_unchanged(titanic_client, titanic):
    r = titanic_client.post("/titanic?_action=append", json={"Sex": ["male", "female"], "Age": [22]})
    assert r.status_code == 400
    assert len(titanic_client.get("/titanic?_cache").json()) == len(titanic)


# --- size limit: 413 -----------------------------------------------------------------------------
def test_body_over_limit_413(make_client, titanic):
    client = make_client(SMALL_LIMIT_YAML)
    big = titanic.head(50)
    for kwargs in (BODIES["json-records"](big), BODIES["csv"](big), BODIES["upload-csv"](big)):
        body = assert_error(client.post("/titanic?_action=predict", **kwargs), 413)
        assert "max_body_mb" in body["error"] or "limit" in body["error"].lower()
    assert_error(client.post("/titanic?_action=append", **BODIES["json-records"](big)), 413)
    # nothing was appended
    assert len(client.get("/titanic?_cache").json()) == len(titanic)


def test_chunked_body_over_limit_413(make_client, titanic):
    client = make_client(SMALL_LIMIT_YAML)
    data = titanic.head(50).to_json(orient="records").encode()

    def chunks():
        for i in range(0, len(data), 256):
            yield data[i : i + 256]

    r = client.post("/titanic", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert_error(r, 413)


def test_body_under_limit_still_served(make_client, titanic):
    client = make_client(SMALL_LIMIT_YAML)
    row = {"Sex": "male", "Age": 22, "SibSp": 1, "Parch": 0, "Fare": 7.25, "Pclass": 3, "Embarked": "S"}
    r = client.post("/titanic", json=[row])
    assert r.status_code == 200, r.text
    assert r.json()[0][TARGET] == int(local_pipeline(titanic).predict(pd.DataFrame([row])[FEATURES])[0])


def test_413_message_states_the_real_limit(make_client, titanic):
    """max_body_mb: 0.001 is about 1 KB; the error must not claim a limit of '0 MB'."""
    client = make_client(SMALL_LIMIT_YAML)
    body = assert_error(client.post("/titanic", **BODIES["json-records"](titanic.head(50))), 413)
    assert "limit of 0 MB" not in body["error"], body["error"]

"""Read datasets: files by extension, SQLAlchemy URLs, and JSON in its several shapes.

Readers raise ValueError with a readable message; callers turn it into a 400 (request data) or a
startup error (YAML data).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

FILE_TYPES = ("csv", "tsv", "json", "jsonl", "xlsx", "parquet")


def ext_of(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    return {"txt": "csv", "ndjson": "jsonl", "xls": "xlsx", "pq": "parquet"}.get(suffix, suffix)


def read_bytes(content: bytes, ext: str, name: str = "data") -> pd.DataFrame:
    """Parse file content of type `ext` (one of FILE_TYPES). Column names are text."""
    return _text_columns(_read_bytes(content, ext, name))


def _text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    # A spreadsheet header of numbers would otherwise give integer column names, which query
    # strings, JSON and parquet all spell as text.
    if not all(isinstance(c, str) for c in frame.columns):
        frame.columns = [str(c) for c in frame.columns]
    return frame


def _read_bytes(content: bytes, ext: str, name: str) -> pd.DataFrame:
    ext = ext.lower().lstrip(".")
    if ext not in FILE_TYPES:
        raise ValueError(
            f"{name}: unknown file type {ext!r}; send one of {', '.join('.' + e for e in FILE_TYPES)}"
        )
    if not content.strip():
        raise ValueError(f"{name} is empty")
    try:
        if ext == "json":
            return frame_from_json(orjson.loads(content))
        if ext == "jsonl":
            return frame_from_json([orjson.loads(line) for line in content.splitlines() if line.strip()])
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{name} is not valid JSON: {exc}") from None
    except ValueError as exc:  # the shape checks of frame_from_json
        raise ValueError(f"{name}: {exc}") from None
    try:
        if ext == "csv":
            return pd.read_csv(io.BytesIO(content))
        if ext == "tsv":
            return pd.read_csv(io.BytesIO(content), sep="\t")
        if ext == "xlsx":
            return pd.read_excel(io.BytesIO(content), engine="openpyxl")
        return pd.read_parquet(io.BytesIO(content))
    except Exception as exc:  # noqa: BLE001 - every parser has its own error types
        raise ValueError(f"{name} could not be read as {ext}: {exc}") from None


def read_file(path: str | Path, ext: str | None = None, sheet_name: Any = None) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"data file {path} does not exist")
    ext = (ext or ext_of(path.name)).lower().lstrip(".")
    if ext == "xlsx" and sheet_name is not None:
        return _text_columns(pd.read_excel(path, sheet_name=sheet_name, engine="openpyxl"))
    return read_bytes(path.read_bytes(), ext, name=str(path))


def read_sql(url: str, table: str | None, query: str | None) -> pd.DataFrame:
    import sqlalchemy as sa

    if bool(table) == bool(query):
        raise ValueError("a database URL needs exactly one of `table:` or `query:`")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if table:
                return _text_columns(pd.read_sql_table(table, conn))
            return _text_columns(pd.read_sql_query(sa.text(query), conn))
    except sa.exc.SQLAlchemyError as exc:
        raise ValueError(f"reading {table or 'the query'} from the database failed: {exc}") from None
    finally:
        engine.dispose()


def is_database_url(url: str) -> bool:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    return bool(scheme) and scheme not in ("file", "http", "https")


def _scalar_or_records(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and all(isinstance(item, dict) for item in value)
    return not isinstance(value, dict)


def frame_from_json(obj: Any) -> pd.DataFrame:
    """Records `[{…}]`, columns `{"col": [...]}`, pandas' `{"col": {"0": v}}`, or one row `{…}`."""
    if isinstance(obj, list):
        if not obj:
            return pd.DataFrame()
        if not all(isinstance(row, dict) for row in obj):
            raise ValueError(
                "a JSON list must hold one object per row, e.g. [{\"a\": 1, \"b\": 2}, …]"
            )
        return pd.DataFrame.from_records(obj)
    if isinstance(obj, dict):
        if not obj:
            return pd.DataFrame()
        values = list(obj.values())
        if all(isinstance(v, list) for v in values):
            lengths = {len(v) for v in values}
            if len(lengths) > 1:
                raise ValueError(
                    f"column-oriented JSON needs equal-length lists; got lengths {sorted(lengths)}"
                )
            return pd.DataFrame(obj)
        if all(isinstance(v, dict) for v in values):
            return pd.DataFrame(obj)
        if not any(isinstance(v, list | dict) for v in values):
            return pd.DataFrame([obj])
        if all(_scalar_or_records(v) for v in values):
            # One row whose cells include lists of objects, e.g. NER training spans:
            # {"text": "…", "labels": [{"start": 0, "end": 5, "label": "PER"}]}
            return pd.DataFrame.from_records([obj])
        raise ValueError(
            "a JSON object must be one row ({\"a\": 1}) or columns of equal-length lists "
            "({\"a\": [1, 2]}), not a mix"
        )
    raise ValueError("JSON data must be a list of records or an object")

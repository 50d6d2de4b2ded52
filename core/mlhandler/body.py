"""Turn a request body into a DataFrame: JSON, CSV/TSV, parquet, xlsx, or multipart uploads.

The body is read once with a size limit (413 beyond it). A body sent by `curl -d` arrives as
form-urlencoded; its content is sniffed (JSON if it starts with [ or {, else CSV), as the
reference accepted such bodies.
"""

from __future__ import annotations

import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request

from mlhandler.data import FILE_TYPES, ext_of, read_bytes
from mlhandler.errors import BadRequest, PayloadTooLarge

MEDIA_TYPES = {
    "application/json": "json",
    "text/json": "json",
    "text/csv": "csv",
    "application/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
    "application/parquet": "parquet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
SNIFFED = {"", "application/x-www-form-urlencoded", "text/plain", "application/octet-stream"}


async def read_limited(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    # Starlette's request.form() reads request._body when it is set: it parses the bytes we
    # already read (and counted) instead of the stream, which is consumed.
    request._body = body
    return body


async def parse_body(request: Request, limit: int) -> pd.DataFrame | None:
    """The body as a DataFrame, or None when there is no body."""
    body = await read_limited(request, limit)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        return await _parse_multipart(request, limit)
    if not body.strip():
        return None
    kind = MEDIA_TYPES.get(media)
    if kind is None:
        if media not in SNIFFED:
            raise BadRequest(
                f"Unsupported Content-Type {media!r}: send application/json, text/csv, or "
                f"multipart/form-data with files ({', '.join('.' + e for e in FILE_TYPES)}).",
            )
        kind = "json" if body.lstrip()[:1] in (b"[", b"{") else "csv"
    # Parsing is CPU work: keep it off the event loop.
    return await run_in_threadpool(_read, body, kind, "The request body")


async def _parse_multipart(request: Request, limit: int) -> pd.DataFrame:
    try:
        form = await request.form(max_files=100, max_fields=1000, max_part_size=limit)
    except Exception as exc:  # noqa: BLE001 - python-multipart raises its own errors
        raise BadRequest(f"The multipart body could not be parsed: {exc}.") from None
    uploads = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
    if not uploads:
        raise BadRequest("The multipart body has no file: upload one with -F file=@data.csv.")
    files = []
    for upload in uploads:
        name = upload.filename or "upload"
        ext = ext_of(name)
        if ext not in FILE_TYPES:
            raise BadRequest(
                f"Uploaded file {name!r} has an unknown type; name it with one of "
                f"{', '.join('.' + e for e in FILE_TYPES)}.",
                file=name,
            )
        content = await upload.read()
        if not content.strip():
            raise BadRequest(f"Uploaded file {name!r} is empty; upload a file with rows.", file=name)
        files.append((content, ext, f"Uploaded file {name!r}"))
    await form.close()
    return await run_in_threadpool(_read_all, files)


def _read_all(files: list[tuple[bytes, str, str]]) -> pd.DataFrame:
    frames = [_read(*file) for file in files]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _read(content: bytes, kind: str, what: str) -> pd.DataFrame:
    try:
        frame = read_bytes(content, kind, name=what)
    except ValueError as exc:
        raise BadRequest(f"{exc}.") from None
    if frame.empty and len(frame.columns) == 0:
        raise BadRequest(f"{what} has no rows; send at least one row.")
    return frame


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is larger than the limit of {limit / (1024 * 1024):g} MB ({limit} "
        f"bytes); send less data per request or raise app.max_body_mb in the YAML.",
        limit_bytes=limit,
    )

"""Character spans → spaCy words → IOB tags, the word-level labels NER trains and scores on.

Words come from spaCy's rule-based English tokenizer (`spacy.blank("en")`: no model download),
for training and prediction alike, so a word the model learnt to tag is the word it predicts.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from mlhandler.errors import BadRequest

OUTSIDE = "O"


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import spacy

    return spacy.blank("en").tokenizer


def words(text: str) -> list[Word]:
    """spaCy's words of `text`, without whitespace tokens, with their character offsets."""
    return [Word(t.text, t.idx, t.idx + len(t.text)) for t in _tokenizer()(text) if not t.is_space]


def entity_type(tag: str) -> tuple[str, str]:
    """("B", "PER") for "B-PER"; a tag without an IOB prefix ("PER") continues like "I-PER"."""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BIES":
        return tag[0], tag[2:]
    return "I", tag


def tag_words(text: str, spans: list[Span], row: int) -> tuple[list[Word], list[str]]:
    """The words of `text` and their IOB tags. A word a span touches belongs to the span."""
    found = words(text)
    tags = [OUTSIDE] * len(found)
    for span in spans:
        inside = [i for i, w in enumerate(found) if w.start < span.end and w.end > span.start]
        if not inside:
            raise BadRequest(
                f"Row {row} (counting from 0): the span {span.start}-{span.end} ({span.label}) "
                f"covers no word of the text {text[:60]!r}; check its start and end.", row=row,
            )
        taken = [found[i].text for i in inside if tags[i] != OUTSIDE]
        if taken:
            raise BadRequest(
                f"Row {row} (counting from 0): the span {span.start}-{span.end} ({span.label}) "
                f"shares the word(s) {taken} with another span; spans must not overlap.", row=row,
            )
        for n, i in enumerate(inside):
            tags[i] = f"{'B' if n == 0 else 'I'}-{span.label}"
    return found, tags


def parse_spans(cell: Any, text: str, row: int, column: str) -> list[Span]:
    """A cell of the labels column: a list of {start, end, label} (or its JSON text, as a CSV
    holds it). Every problem is a 400 naming the row."""
    if isinstance(cell, str):
        try:
            cell = orjson.loads(cell) if cell.strip() else []
        except orjson.JSONDecodeError:
            raise _bad(row, column, "is text that is not a JSON list of spans") from None
    if hasattr(cell, "tolist"):  # a list read back from the parquet cache is a numpy array
        cell = cell.tolist()
    if not isinstance(cell, list | tuple):
        raise _bad(row, column, f"must be a list of spans, not {type(cell).__name__}")
    spans = [_span(item, text, row, column) for item in cell]
    return sorted(spans, key=lambda s: (s.start, s.end))


def _span(item: Any, text: str, row: int, column: str) -> Span:
    if not isinstance(item, dict):
        raise _bad(row, column, f"holds {item!r}, which is not a {{start, end, label}} object")
    missing = [k for k in ("start", "end", "label") if item.get(k) is None]
    if missing:
        raise _bad(row, column, f"has a span without {missing}: {item!r}")
    start, end, label = item["start"], item["end"], item["label"]
    if not all(_whole(v) for v in (start, end)):
        raise _bad(row, column, f"has a span whose start/end are not whole numbers: {item!r}")
    start, end = int(start), int(end)
    if not 0 <= start < end <= len(text):
        raise _bad(row, column, f"has a span {start}-{end} outside the text (0-{len(text)}) or "
                   f"empty; start < end ≤ the text's length")
    if not isinstance(label, str) or not label.strip():
        raise _bad(row, column, f"has a span whose label is not a name: {item!r}")
    label = label.strip()
    if label == OUTSIDE or entity_type(label)[1] != label:
        raise _bad(row, column, f"has the label {label!r}; give entity types (PER, LOC…), not "
                   f"IOB tags: the B-/I- tags are derived from the spans")
    return Span(start, end, label)


def _whole(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):  # numpy integers too (spans read back from parquet)
        return True
    return isinstance(value, float) and value.is_integer()


def _bad(row: int, column: str, problem: str) -> BadRequest:
    return BadRequest(
        f"Row {row} (counting from 0): {column!r} {problem}. Each row's {column!r} is a list "
        f'like [{{"start": 0, "end": 5, "label": "PER"}}] of character offsets into the text.',
        row=row, column=column,
    )

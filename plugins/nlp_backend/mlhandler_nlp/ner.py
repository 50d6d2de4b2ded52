"""NER: entities per text (a token-classification network), at the level of whole words.

A text is split into spaCy words; each word is tagged with the label of its first sub-token (the
sub-token training labels, see `train`); consecutive words of one entity type (B-X then I-X, as
transformers' "simple"/"first" aggregation does) form an entity, scored by the mean of its
words' probabilities, located by character offsets into the text.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from mlhandler.backend import Prediction, Trained
from mlhandler.errors import BadRequest
from mlhandler.options import ModelOptions
from mlhandler_nlp.heads import label_ids, starting_network
from mlhandler_nlp.iob import OUTSIDE, Word, entity_type, parse_spans, tag_words, words
from mlhandler_nlp.metrics import ner_report
from mlhandler_nlp.served import NLPModel
from mlhandler_nlp.text import (
    scoring_rows,
    target_of,
    text_schema,
    texts_of,
    training_rows,
)
from mlhandler_nlp.training import fine_tune

NAME = "NER"
IGNORED = -100  # the label of sub-tokens after a word's first, and of special tokens


def auto_class() -> Any:
    from transformers import AutoModelForTokenClassification

    return AutoModelForTokenClassification


def tag_texts(model: NLPModel, texts: list[str]) -> list[tuple[list[Word], list[str], list[float]]]:
    """Per text: its words, their predicted tags and the tags' probabilities."""
    import torch

    split = [words(text) for text in texts]
    out: list[tuple[list[Word], list[str], list[float]]] = [(w, [], []) for w in split]
    todo = [i for i, found in enumerate(split) if found]  # a text without words has no entities
    size = model.settings["batch_size"]
    labels = model.labels
    for start in range(0, len(todo), size):
        batch = todo[start:start + size]
        inputs = model.tokenize([[w.text for w in split[i]] for i in batch],
                                is_split_into_words=True, truncation=True, padding=True,
                                max_length=model.max_length, return_tensors="pt")
        with torch.inference_mode():
            probs = torch.softmax(model.network(**inputs).logits.float(), dim=-1).numpy()
        for row, i in enumerate(batch):
            first = _first_subtokens(inputs.word_ids(row))
            tags, scores = _word_tags(probs[row], first, len(split[i]), labels)
            out[i] = (split[i], tags, scores)
    return out


def _word_tags(probs: np.ndarray, first: dict[int, int], count: int,
               labels: list[str]) -> tuple[list[str], list[float]]:
    """Each word's tag: its first sub-token's most probable label. Words cut off by max_length
    have no sub-token: they are outside any entity."""
    tags, scores = [], []
    for w in range(count):
        if w not in first:
            tags.append(OUTSIDE)
            scores.append(0.0)
            continue
        p = probs[first[w]]
        best = int(p.argmax())
        tags.append(labels[best])
        scores.append(float(p[best]))
    return tags, scores


def entities(text: str, found: list[Word], tags: list[str], scores: list[float]) -> list[dict]:
    """Consecutive words of one entity type as entity dicts; a B- (or S-) tag starts a new one."""
    groups: list[dict] = []
    current: dict | None = None
    for word, tag, score in zip(found, tags, scores, strict=True):
        if tag == OUTSIDE:
            current = None
            continue
        prefix, kind = entity_type(tag)
        if current is None or prefix in "BS" or current["entity_group"] != kind:
            current = {"entity_group": kind, "start": word.start, "end": word.end, "scores": []}
            groups.append(current)
        current["end"] = word.end
        current["scores"].append(score)
    return [{"entity_group": g["entity_group"], "word": text[g["start"]:g["end"]],
             "start": g["start"], "end": g["end"], "score": float(np.mean(g["scores"]))}
            for g in groups]


def predict(model: NLPModel, data: pd.DataFrame, opts: ModelOptions,
            query: dict[str, Any]) -> Prediction:
    if query:
        raise BadRequest(f"{NAME} does not take {sorted(query)} when predicting: every entity "
                         f"already carries its score.", unknown=sorted(query))
    texts = texts_of(data)
    tagged = tag_texts(model, texts)
    found = [entities(text, *words_tags) for text, words_tags in zip(texts, tagged, strict=True)]
    target = opts.target_col
    if not target:
        return Prediction(values=found)
    frame = data.copy()
    frame[target] = found
    return Prediction(frame=frame)


def gold_tags(data: pd.DataFrame,
              target: str) -> tuple[list[str], list[list[Word]], list[list[str]]]:
    """Texts, their words and the IOB tags their spans give. Errors name rows by `data`'s index
    (the row number in the data sent)."""
    texts, all_words, all_tags = [], [], []
    cells = zip(data.index.tolist(), texts_of(data), data[target].tolist(), strict=True)
    for row, text, cell in cells:
        found, tags = tag_words(text, parse_spans(cell, text, row, target), row)
        texts.append(text)
        all_words.append(found)
        all_tags.append(tags)
    return texts, all_words, all_tags


def train(base: NLPModel, data: pd.DataFrame, opts: ModelOptions,
          settings: dict[str, Any]) -> Trained:
    target = target_of(data, opts, NAME, "labels")
    rows = training_rows(data, target, opts)
    texts, all_words, all_tags = gold_tags(rows, target)
    network = starting_network(base.network, auto_class(), _label_order(base, all_tags),
                               settings["seed"])
    tuned = replace(base, network=network, settings=dict(settings), fine_tuned=True)
    ids = label_ids(network)
    examples = [([w.text for w in found], [ids[t] for t in tags])
                for found, tags in zip(all_words, all_tags, strict=True) if found]
    if not examples:
        raise BadRequest("No training text has any words; send texts with their entity spans.")

    def encode(batch: list[tuple[list[str], list[int]]]) -> dict:
        import torch

        inputs = tuned.tokenize([w for w, _ in batch], is_split_into_words=True, truncation=True,
                                padding=True, max_length=tuned.max_length, return_tensors="pt")
        labels = torch.full(inputs["input_ids"].shape, IGNORED, dtype=torch.long)
        for row, (_, tag_ids) in enumerate(batch):
            for w, position in _first_subtokens(inputs.word_ids(row)).items():
                labels[row, position] = tag_ids[w]
        return {**inputs, "labels": labels}

    loss = fine_tune(network, examples, encode, settings)
    predicted = [tags for _, tags, _ in tag_texts(tuned, texts)]
    report = ner_report(all_tags, predicted, None)
    result = {**report, "rows": len(rows), "loss": loss, "labels": tuned.labels}
    return Trained(model=tuned, schema=text_schema(target, tuned.labels, "spans"), result=result)


def score(model: NLPModel, data: pd.DataFrame, opts: ModelOptions, metric: str | None) -> dict:
    data, target = scoring_rows(data, opts, "labels")
    texts, _, gold = gold_tags(data, target)
    predicted = [tags for _, tags, _ in tag_texts(model, texts)]
    return {**ner_report(gold, predicted, metric), "rows": len(data)}


def _first_subtokens(word_ids: list[int | None]) -> dict[int, int]:
    """Word index → position of its first sub-token."""
    first: dict[int, int] = {}
    for position, word in enumerate(word_ids):
        if word is not None and word not in first:
            first[word] = position
    return first


def _label_order(base: NLPModel, all_tags: list[list[str]]) -> list[str]:
    """The model's labels when it knows every training tag (its head is kept); else O and the
    B-/I- tags of the training entity types, sorted (a new head)."""
    used = {tag for tags in all_tags for tag in tags} | {OUTSIDE}
    if used <= set(base.labels):
        return base.labels
    kinds = sorted({entity_type(tag)[1] for tag in used if tag != OUTSIDE})
    if not kinds:
        raise BadRequest("The training data has no entity spans; label some entities to train on.")
    return [OUTSIDE] + [f"{prefix}-{kind}" for kind in kinds for prefix in "BI"]

"""NER through HTTP: entities per text, fine-tuning on character spans, seqeval scores."""

from __future__ import annotations

import csv
import io
import json
import re

from seqeval.metrics import f1_score

ENTITY_KEYS = {"entity_group", "word", "start", "end", "score"}


def train(client, rows, **settings):
    """Fine-tune /ner on `rows`, after PUT of the training `settings` (epochs=…) if any."""
    if settings:
        assert client.put("/ner", params=settings).status_code == 200
    response = client.post("/ner", params={"_action": "train", "target_col": "labels"}, json=rows)
    assert response.status_code == 200, response.text
    return response.json()


def word_tags(text, spans, key):
    """IOB tags of the words of `text` (split here, independently of the plugin) from spans."""
    tags = []
    for match in re.finditer(r"\w+|[^\w\s]", text):
        tag = "O"
        for span in spans:
            if span["start"] <= match.start() and match.end() <= span["end"]:
                tag = ("B-" if match.start() == span["start"] else "I-") + span[key]
        tags.append(tag)
    return tags


def test_fine_tuning_reaches_entity_f1_on_unseen_combinations(ner_client, corpus):
    result = train(ner_client, corpus.ner_train)
    assert result["metric"] == "f1" and result["rows"] == len(corpus.ner_train)
    assert result["labels"] == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert set(result["entities"]) == {"LOC", "PER"}
    test_rows = corpus.ner_test
    response = ner_client.post("/ner", json=[{"text": r["text"]} for r in test_rows])
    assert response.status_code == 200, response.text
    predicted = [r["labels"] for r in response.json()]
    for row, found in zip(test_rows, predicted, strict=True):
        for entity in found:
            assert set(entity) == ENTITY_KEYS
            assert entity["word"] == row["text"][entity["start"]:entity["end"]]
            assert 0 <= entity["score"] <= 1
    # Entity-level f1, computed here with seqeval from the returned entities.
    gold = [word_tags(r["text"], r["labels"], "label") for r in test_rows]
    guess = [word_tags(r["text"], found, "entity_group") for r, found in zip(test_rows, predicted, strict=True)]
    assert f1_score(gold, guess) >= 0.6


def test_entities_are_whole_words_grouped_into_entities(ner_client, corpus):
    train(ner_client, corpus.ner_train)
    text = "Yesterday Priya Kumar flew from Buenos Aires to Tokyo."
    (record,) = ner_client.get("/ner", params={"text": text}).json()
    assert record["text"] == text
    assert [(e["entity_group"], e["word"], e["start"], e["end"]) for e in record["labels"]] == [
        ("PER", "Priya Kumar", 10, 21), ("LOC", "Buenos Aires", 32, 44), ("LOC", "Tokyo", 48, 53)]


def test_prediction_shapes(ner_client):
    client = ner_client
    texts = ["Alice visited Paris.", "Nothing here", ""]
    answer = client.get("/ner", params={"text": texts}).json()
    assert isinstance(answer, list) and len(answer) == 3
    assert all(isinstance(found, list) for found in answer)
    assert answer[2] == []  # no words, no entities
    for text, found in zip(texts, answer, strict=True):
        for entity in found:
            assert set(entity) == ENTITY_KEYS
            assert entity["word"] == text[entity["start"]:entity["end"]]
    posted = client.post("/ner", json=[{"text": t} for t in texts]).json()
    assert posted == answer


def test_score_reports_entities_precision_recall_f1(ner_client, corpus):
    client = ner_client
    train(client, corpus.ner_train[:100], epochs=2)
    scored = client.post("/ner?_action=score", json=corpus.ner_test)
    assert scored.status_code == 200, scored.text
    report = scored.json()
    assert report["metric"] == "f1" and report["score"] == report["f1"] and report["rows"] == len(corpus.ner_test)
    assert set(report["entities"]) == {"LOC", "PER"}
    for row in report["entities"].values():
        assert set(row) == {"precision", "recall", "f1", "support"} and row["support"] > 0
    for metric in ("precision", "recall", "accuracy"):
        other = client.post(f"/ner?_action=score&_metric={metric}", json=corpus.ner_test).json()
        assert other["metric"] == metric and other["score"] == report[metric]
    bad = client.post("/ner?_action=score&_metric=roc_auc", json=corpus.ner_test)
    assert bad.status_code == 400 and "roc_auc" in bad.json()["error"]


def test_span_cache_survives_restart_and_retrains(make_client, tiny_models, corpus, nlp_yaml, fast):
    yaml_text = nlp_yaml(ner=("NER", tiny_models.ner, fast))
    first = make_client(yaml_text)
    train(first, corpus.ner_train[:60], epochs=1)
    probe = {"text": [r["text"] for r in corpus.ner_test[:10]]}
    before = first.get("/ner", params=probe).json()
    first.close()
    second = make_client(yaml_text)
    assert second.get("/ner", params=probe).json() == before
    # The nested spans come back from the cache (parquet) as they were sent.
    assert second.get("/ner?_cache").json() == corpus.ner_train[:60]
    retrained = second.post("/ner?_action=retrain", json=corpus.ner_train[60:80])
    assert retrained.status_code == 200, retrained.text
    assert retrained.json()["rows"] == 80


def test_spans_as_json_text_in_a_csv_upload(ner_client):
    rows = [["Alice visited Paris.", [{"start": 0, "end": 5, "label": "PER"},
                                      {"start": 14, "end": 19, "label": "LOC"}]],
            ["Bob lives near Cairo.", [{"start": 0, "end": 3, "label": "PER"},
                                       {"start": 15, "end": 20, "label": "LOC"}]],
            ["Nobody came.", []]]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text", "labels"])
    writer.writerows([text, json.dumps(spans)] for text, spans in rows)
    response = ner_client.post("/ner?_action=train&target_col=labels",
                               files={"file": ("spans.csv", buffer.getvalue().encode())})
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == 3
    assert response.json()["labels"] == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


def test_proba_is_refused_for_ner(ner_client):
    response = ner_client.get("/ner", params={"text": "Alice", "_proba": "1"})
    assert response.status_code == 400 and "_proba" in response.json()["error"]

"""Bad requests to the NLP classes are 400s that say what is wrong and how to fix it."""

from __future__ import annotations

import pytest

SPAN = {"start": 0, "end": 5, "label": "PER"}


def error_of(response, status=400):
    assert response.status_code == status, response.text
    return response.json()["error"]


@pytest.mark.parametrize("path", ["/sentiment", "/ner"])
def test_missing_text_is_a_400(make_client, tiny_models, nlp_yaml, path):
    client = make_client(nlp_yaml(sentiment=("SentimentAnalysis", tiny_models.sentiment),
                                  ner=("NER", tiny_models.ner)))
    assert "text" in error_of(client.get(path, params={"txt": "hello"}))
    assert "text" in error_of(client.post(path, json=[{"body": "hello"}]))
    assert "text" in error_of(client.post(f"{path}?_action=train&target_col=label",
                                          json=[{"body": "hello", "label": "x"}]))


def test_bad_params_are_400s_naming_each_and_store_nothing(sentiment_client):
    client = sentiment_client
    before = client.get("/sentiment?_params").json()["params"]
    error = error_of(client.put("/sentiment", params={"epochs": "0", "learning_rate": "fast",
                                                       "batch_size": "1.5", "seed": "-1"}))
    for name in ("epochs", "learning_rate", "batch_size", "seed"):
        assert name in error
    unknown = client.put("/sentiment", params={"dropout": "0.1"})
    assert "dropout" in error_of(unknown) and "epochs" in unknown.json()["error"]  # lists the allowed
    assert "max_length" in error_of(client.put("/sentiment", params={"max_length": "2"}))
    assert "learning_rate" in error_of(client.put("/sentiment", params={"learning_rate": "inf"}))
    assert client.get("/sentiment?_params").json()["params"] == before
    ok = client.put("/sentiment", params={"epochs": "2", "learning_rate": "1e-4", "max_length": "32"})
    assert ok.status_code == 200
    assert ok.json()["params"]["params"]["epochs"] == 2
    assert ok.json()["params"]["params"]["learning_rate"] == 0.0001


def test_bad_prediction_options(sentiment_client):
    assert "_foo" in error_of(sentiment_client.get("/sentiment", params={"text": "x", "_foo": "1"}))
    assert "_proba" in error_of(sentiment_client.get("/sentiment", params={"text": "x", "_proba": "maybe"}))


def test_bad_sentiment_training_requests(sentiment_client):
    client = sentiment_client
    rows = [{"text": "good", "label": "POSITIVE"}, {"text": "bad", "label": "NEGATIVE"}]
    assert "target_col" in error_of(client.post("/sentiment?_action=train", json=rows))
    assert "stars" in error_of(client.post("/sentiment?_action=train&target_col=stars", json=rows))
    assert "text" in error_of(client.post("/sentiment?_action=train&target_col=text", json=rows))
    single = client.post("/sentiment?_action=train&target_col=label",
                         json=[{"text": "good", "label": "yay"}, {"text": "fine", "label": "yay"}])
    assert "two labels" in error_of(single)
    gaps = [{"text": "good", "label": "POSITIVE"}, {"text": None, "label": "NEGATIVE"}]
    assert "dropna" in error_of(client.post("/sentiment?_action=train&target_col=label&dropna=false", json=gaps))
    assert client.get("/sentiment?_params").json()["attrs"]["fine_tuned"] is False  # nothing trained


@pytest.mark.parametrize("labels, problem", [
    ([{"start": 0, "end": 99, "label": "PER"}], "outside the text"),
    ([{"start": 3, "end": 3, "label": "PER"}], "outside the text"),
    ([{"start": 0, "end": 5, "label": "PER"}, {"start": 2, "end": 8, "label": "LOC"}], "overlap"),
    ([{"start": 0, "end": 5}], "label"),
    ([{"start": "zero", "end": 5, "label": "PER"}], "whole numbers"),
    ([{"start": 0, "end": 5, "label": "B-PER"}], "entity types"),
    ([{"start": 0, "end": 5, "label": "O"}], "entity types"),
    ([{"start": 5, "end": 6, "label": "PER"}], "covers no word"),
    (["Alice"], "not a {start, end, label}"),
    ("Alice is PER", "not a JSON list"),
    (42, "must be a list"),
])
def test_bad_spans_are_400s_naming_the_row(ner_client, labels, problem):
    rows = [{"text": "Bob went home.", "labels": []}, {"text": None, "labels": []},
            {"text": "Alice visited Paris", "labels": labels}]
    error = error_of(ner_client.post("/ner?_action=train&target_col=labels", json=rows))
    assert problem in error and "Row 2" in error  # counted in the data sent, dropped rows included
    assert ner_client.get("/ner?_params").json()["attrs"]["fine_tuned"] is False


def test_ner_training_needs_entities(ner_client):
    error = error_of(ner_client.post("/ner?_action=train&target_col=labels",
                                     json=[{"text": "Nothing to see.", "labels": []}]))
    assert "entity" in error

"""How the NLP classes serve: inference in batches of batch_size, and models trained at startup
from the YAML's data (including NER spans, a nested column, read from JSON lines)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("cls, folder", [("SentimentAnalysis", "sentiment"), ("NER", "ner")])
def test_inference_runs_in_batches_of_batch_size(make_client, tiny_models, nlp_yaml, cls, folder):
    client = make_client(nlp_yaml(m=(cls, getattr(tiny_models, folder), {"batch_size": 2})))
    network = client.app.state.endpoints["m"].served.model.network
    sizes = []
    hook = network.register_forward_pre_hook(
        lambda module, args, kwargs: sizes.append(kwargs["input_ids"].shape[0]), with_kwargs=True)
    try:
        response = client.post("/m", json=[{"text": f"Alice saw text number {i}."} for i in range(5)])
    finally:
        hook.remove()  # the network is kept and shared with other tests' endpoints
    assert response.status_code == 200 and len(response.json()) == 5
    assert sizes == [2, 2, 1]


def test_models_train_at_startup_from_the_yaml_data(make_client, tiny_models, corpus, tmp_path):
    (tmp_path / "spans.jsonl").write_text("\n".join(json.dumps(r) for r in corpus.ner_train[:60]))
    (tmp_path / "reviews.json").write_text(json.dumps(corpus.sentiment_train[:60]))
    yaml_text = f"""
url:
  ner:
    pattern: /ner
    handler: MLHandler
    kwargs:
      data: {{url: $YAMLPATH/spans.jsonl}}
      model:
        class: NER
        target_col: labels
        params: {{model: {tiny_models.ner}, epochs: 1, learning_rate: 0.003}}
  reviews:
    pattern: /reviews
    handler: MLHandler
    kwargs:
      data: {{url: $YAMLPATH/reviews.json}}
      model:
        class: SentimentAnalysis
        target_col: label
        params: {{model: {tiny_models.sentiment}, epochs: 1, learning_rate: 0.003}}
"""
    client = make_client(yaml_text)
    ner = client.get("/ner?_params").json()["attrs"]
    assert ner["fine_tuned"] is True and ner["labels"] == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert client.get("/ner?_cache").json() == corpus.ner_train[:60]
    reviews = client.get("/reviews", params={"text": "The food was lovely."}).json()
    assert reviews[0]["label"] in ("NEGATIVE", "POSITIVE")
    client.close()
    # A restart reuses the trained models: it does not train again.
    versions = {name: client.app.state.endpoints[name].model_info["path"] for name in ("ner", "reviews")}
    again = make_client(yaml_text)
    assert {n: again.app.state.endpoints[n].model_info["path"] for n in versions} == versions

"""SentimentAnalysis through HTTP: predicting, fine-tuning, scoring, describing, persisting."""

from __future__ import annotations

import io
import zipfile

import pytest


def train(client, rows, path="/sentiment", **settings):
    """Fine-tune `path` on `rows`, after PUT of the training `settings` (epochs=…) if any."""
    if settings:
        assert client.put(path, params=settings).status_code == 200
    response = client.post(path, params={"_action": "train", "target_col": "label"}, json=rows)
    assert response.status_code == 200, response.text
    return response.json()


def texts(rows):
    return [{"text": r["text"]} for r in rows]


def accuracy(predicted, rows):
    return sum(p == r["label"] for p, r in zip(predicted, rows, strict=True)) / len(rows)


def test_fine_tuning_reaches_high_accuracy_on_held_out_sentences(sentiment_client, corpus):
    result = train(sentiment_client, corpus.sentiment_train)
    assert result["metric"] == "accuracy" and result["rows"] == len(corpus.sentiment_train)
    assert result["score"] >= 0.9
    assert result["labels"] == ["NEGATIVE", "POSITIVE"]  # the tiny model's LABEL_0/1 head was replaced
    response = sentiment_client.post("/sentiment", json=texts(corpus.sentiment_test))
    assert response.status_code == 200, response.text
    records = response.json()
    assert [r["text"] for r in records] == [r["text"] for r in corpus.sentiment_test]
    # The accuracy is computed here, from the predictions, not taken from the endpoint.
    assert accuracy([r["label"] for r in records], corpus.sentiment_test) >= 0.9


def test_prediction_shapes_without_target_col(sentiment_client):
    client = sentiment_client
    labels = client.get("/sentiment", params={"text": ["a great movie", "an awful trip"]}).json()
    assert isinstance(labels, list) and len(labels) == 2
    assert set(labels) <= {"LABEL_0", "LABEL_1"}  # the untrained tiny model's labels
    assert len(client.post("/sentiment", json=[{"text": "x"}, {"text": "y"}, {"text": "z"}]).json()) == 3
    assert len(client.post("/sentiment", json={"text": ["x", "y"]}).json()) == 2
    csv = client.post("/sentiment", content="text\nfine\nbad\n", headers={"Content-Type": "text/csv"})
    assert csv.status_code == 200 and len(csv.json()) == 2
    lines = b'{"text": "a"}\n{"text": "b"}\n'
    upload = client.post("/sentiment", files={"file": ("texts.jsonl", lines)})
    assert upload.status_code == 200 and len(upload.json()) == 2
    upload = client.post("/sentiment", files={"file": ("texts.csv", b"text\nfine\n")})
    assert upload.status_code == 200 and len(upload.json()) == 1


def test_records_with_target_col_echo_the_input_columns(sentiment_client, corpus):
    train(sentiment_client, corpus.sentiment_train[:40], epochs=1)
    rows = [{"id": 1, "text": "The food was superb."}, {"id": 2, "text": "The room was awful."}]
    records = sentiment_client.post("/sentiment", json=rows).json()
    assert [set(r) for r in records] == [{"id", "text", "label"}] * 2
    assert [r["id"] for r in records] == [1, 2]
    one = sentiment_client.get("/sentiment", params={"text": "007"}).json()
    assert one[0]["text"] == "007"  # text stays text, not the number 7


def test_proba_adds_the_score(sentiment_client, corpus):
    client = sentiment_client
    bare = client.get("/sentiment", params={"text": ["good", "bad"], "_proba": "1"}).json()
    assert [set(r) for r in bare] == [{"label", "score"}] * 2
    assert all(0.5 <= r["score"] <= 1 for r in bare)  # the probability of the chosen of 2 labels
    assert client.get("/sentiment", params={"text": "good", "_proba": "0"}).json() in (["LABEL_0"], ["LABEL_1"])
    train(client, corpus.sentiment_train[:40], epochs=1)
    records = client.post("/sentiment?_proba=true", json=[{"text": "The show was lovely."}]).json()
    assert set(records[0]) == {"text", "label", "score"} and 0.5 <= records[0]["score"] <= 1


def test_label_sets_new_labels_reinitialise_the_head_known_ones_keep_it(sentiment_client, corpus):
    client = sentiment_client
    assert train(client, corpus.sentiment_train)["labels"] == ["NEGATIVE", "POSITIVE"]
    # Only labels the model knows (here: only POSITIVE rows): the head is kept, as is its order.
    positives = [r for r in corpus.sentiment_train if r["label"] == "POSITIVE"][:30]
    assert train(client, positives, epochs=1, learning_rate=1e-6)["labels"] == ["NEGATIVE", "POSITIVE"]
    held_out = client.post("/sentiment", json=texts(corpus.sentiment_test)).json()
    assert accuracy([r["label"] for r in held_out], corpus.sentiment_test) >= 0.9
    # Three new labels: a new head with those labels, sorted.
    three = [{"text": r["text"], "label": {"NEGATIVE": "bad", "POSITIVE": "good"}[r["label"]]}
             for r in corpus.sentiment_train[:60]] + [{"text": "It was fine, I guess.", "label": "meh"}]
    assert train(client, three, epochs=1)["labels"] == ["bad", "good", "meh"]
    attrs = client.get("/sentiment?_params").json()["attrs"]
    assert attrs["labels"] == ["bad", "good", "meh"] and attrs["fine_tuned"] is True
    predicted = client.post("/sentiment", json=texts(corpus.sentiment_test)).json()
    assert {r["label"] for r in predicted} <= {"bad", "good", "meh"}


def test_training_continues_from_the_served_model(sentiment_client, corpus):
    client = sentiment_client
    train(client, corpus.sentiment_train)
    # A second training on a handful of rows with a negligible learning rate leaves the model
    # nearly as it was: it started from the fine-tuned model, not from the untrained tiny one.
    assert client.put("/sentiment", params={"learning_rate": "1e-9", "epochs": "1"}).status_code == 200
    train(client, corpus.sentiment_train[:10])
    held_out = client.post("/sentiment", json=texts(corpus.sentiment_test)).json()
    assert accuracy([r["label"] for r in held_out], corpus.sentiment_test) >= 0.9


def test_training_is_deterministic_for_a_seed(make_client, tiny_models, corpus, nlp_yaml, fast):
    client = make_client(nlp_yaml(a=("SentimentAnalysis", tiny_models.sentiment, fast),
                                  b=("SentimentAnalysis", tiny_models.sentiment, fast),
                                  c=("SentimentAnalysis", tiny_models.sentiment, {**fast, "seed": 1})))
    rows = corpus.sentiment_train[:80]
    results = [train(client, rows, path=f"/{name}", epochs=2) for name in "abc"]
    probe = {"text": [r["text"] for r in corpus.sentiment_test[:10]], "_proba": "1"}
    answers = [client.get(f"/{name}", params=probe).json() for name in "abc"]
    assert results[0] == results[1] and answers[0] == answers[1]
    assert answers[0] != answers[2]  # another seed: another initialisation and batch order


def test_a_fine_tuned_model_survives_a_restart(make_client, tiny_models, corpus, nlp_yaml, fast):
    yaml_text = nlp_yaml(sentiment=("SentimentAnalysis", tiny_models.sentiment, fast))
    first = make_client(yaml_text)
    train(first, corpus.sentiment_train[:80], epochs=2)
    probe = {"text": [r["text"] for r in corpus.sentiment_test[:20]], "_proba": "1"}
    before = first.get("/sentiment", params=probe).json()
    described = first.get("/sentiment?_params").json()
    first.close()
    second = make_client(yaml_text)  # same YAML, same config_dir: a restart
    assert second.get("/sentiment", params=probe).json() == before
    after = second.get("/sentiment?_params").json()
    assert after["attrs"] == described["attrs"] and after["attrs"]["fine_tuned"] is True
    assert after["opts"]["target_col"] == "label"


def test_download_is_a_zip_of_the_model_folder(sentiment_client, corpus):
    client = sentiment_client
    missing = client.get("/sentiment?_download")
    assert missing.status_code == 404 and "train" in missing.json()["error"]  # nothing fine-tuned yet
    train(client, corpus.sentiment_train[:40], epochs=1)
    response = client.get("/sentiment?_download")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="model.zip"' in response.headers["content-disposition"]
    names = set(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "mlhandler_nlp.json"} <= names
    assert not any(n.startswith(".") or n.endswith(".tmp") for n in names)


def test_downloaded_folder_serves_as_a_local_model(sentiment_client, corpus, make_client, nlp_yaml, tmp_path):
    client = sentiment_client
    train(client, corpus.sentiment_train)
    folder = tmp_path / "downloaded"
    zipfile.ZipFile(io.BytesIO(client.get("/sentiment?_download").content)).extractall(folder)
    other = make_client(nlp_yaml(copy=("SentimentAnalysis", folder)), name="other.yaml")
    probe = {"text": [r["text"] for r in corpus.sentiment_test[:20]]}
    assert other.get("/copy", params=probe).json() == [
        r["label"] for r in client.get("/sentiment", params=probe).json()]


def test_score_metrics(sentiment_client, corpus):
    client = sentiment_client
    train(client, corpus.sentiment_train)
    test_rows = corpus.sentiment_test
    predicted = [r["label"] for r in client.post("/sentiment", json=texts(test_rows)).json()]
    scored = client.post("/sentiment?_action=score", json=test_rows).json()
    assert scored == {"score": pytest.approx(accuracy(predicted, test_rows)), "metric": "accuracy",
                      "rows": len(test_rows)}
    for metric in ("roc_auc", "f1", "f1_macro", "balanced_accuracy", "neg_log_loss"):
        response = client.post(f"/sentiment?_action=score&_metric={metric}", json=test_rows)
        assert response.status_code == 200, response.text
        assert response.json()["metric"] == metric
        assert response.json()["score"] >= (0.8 if metric != "neg_log_loss" else -1)
    # With no body: the cached training data.
    cached = client.post("/sentiment?_action=score").json()
    assert cached["rows"] == len(corpus.sentiment_train) and cached["score"] >= 0.9


def test_score_errors_name_the_problem(sentiment_client, corpus):
    client = sentiment_client
    train(client, corpus.sentiment_train[:40], epochs=1)
    unknown = client.post("/sentiment?_action=score&_metric=r2", json=corpus.sentiment_test)
    assert unknown.status_code == 400 and "r2" in unknown.json()["error"]
    labels = client.post("/sentiment?_action=score", json=[{"text": "ok", "label": "MIXED"}])
    assert labels.status_code == 400 and "MIXED" in labels.json()["error"]
    no_target = client.post("/sentiment?_action=score&target_col=stars", json=[{"text": "ok", "label": "x"}])
    assert no_target.status_code == 400 and "stars" in no_target.json()["error"]


def test_model_and_params_describe_the_model(sentiment_client, tiny_models, corpus, fast):
    client = sentiment_client
    model = client.get("/sentiment?_model").json()
    assert model == {"model": str(tiny_models.sentiment), "tokenizer": str(tiny_models.sentiment),
                     **fast, "max_length": 512}
    described = client.get("/sentiment?_params").json()
    assert described["params"] == {"class": "SentimentAnalysis",
                                   "params": {"model": str(tiny_models.sentiment), **fast}}
    attrs = described["attrs"]
    assert attrs["labels"] == ["LABEL_0", "LABEL_1"] and attrs["fine_tuned"] is False
    assert attrs["source"] == str(tiny_models.sentiment)
    assert attrs["architecture"] == "BertForSequenceClassification" and attrs["model_type"] == "bert"
    assert 10_000 < attrs["num_parameters"] < 1_000_000
    assert attrs["max_length"] == 64  # 512 capped by the tiny model's 64 positions
    page = client.get("/sentiment")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def test_delete_model_goes_back_to_the_pretrained_model(sentiment_client, corpus):
    client = sentiment_client
    train(client, corpus.sentiment_train[:40], epochs=1)
    assert client.get("/sentiment?_params").json()["attrs"]["fine_tuned"] is True
    deleted = client.delete("/sentiment?_model")
    assert deleted.status_code == 200, deleted.text
    attrs = client.get("/sentiment?_params").json()["attrs"]
    assert attrs["fine_tuned"] is False and attrs["labels"] == ["LABEL_0", "LABEL_1"]
    assert client.get("/sentiment?_download").status_code == 404
    records = client.get("/sentiment", params={"text": "good"}).json()
    assert records[0]["label"] in ("LABEL_0", "LABEL_1")  # target_col is still set: records
    assert client.delete("/sentiment?_cache").status_code == 200
    assert client.get("/sentiment?_cache").json() == []


def test_retrain_appends_to_the_cache(sentiment_client, corpus):
    client = sentiment_client
    train(client, corpus.sentiment_train[:30], epochs=1)
    response = client.post("/sentiment?_action=retrain", json=corpus.sentiment_train[30:50])
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == 50
    assert len(client.get("/sentiment?_cache").json()) == 50


def test_one_output_per_row_even_without_text(sentiment_client):
    response = sentiment_client.post("/sentiment", json=[{"text": "fine"}, {"text": None}, {"text": ""}])
    assert response.status_code == 200 and len(response.json()) == 3

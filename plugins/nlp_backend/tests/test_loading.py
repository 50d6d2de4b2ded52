"""Models that cannot load: the server starts, the endpoint answers 503 saying what to do, and
a PUT naming a good folder fixes it. Loading is bounded in time and happens once per model."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from starlette.testclient import TestClient

from mlhandler.app import build_app
from mlhandler.config import load_config
from mlhandler.errors import ConfigError
from mlhandler_nlp import loading

HUB_SENTIMENT = "distilbert-base-uncased-finetuned-sst-2-english"
HUB_NER = "dbmdz/bert-large-cased-finetuned-conll03-english"


def test_unloadable_models_leave_the_server_up_and_answer_503(make_client, tiny_models, nlp_yaml, tmp_path):
    missing = tmp_path / "no-such-folder"
    client = make_client(nlp_yaml(
        hub=("SentimentAnalysis", None),  # the default: a hub name, not reachable in tests
        ner=("NER", None),
        folder=("SentimentAnalysis", missing),
        good=("SentimentAnalysis", tiny_models.sentiment),
    ))
    assert client.get("/good", params={"text": "fine"}).status_code == 200
    for path, name in (("/hub", HUB_SENTIMENT), ("/ner", HUB_NER), ("/folder", str(missing))):
        response = client.get(path, params={"text": "fine"})
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert name in error and "PUT ?model=" in error and "Traceback" not in error
        posted = client.post(path, json=[{"text": "fine"}])
        assert posted.status_code == 503 and posted.json()["error"] == error
        assert client.get(f"{path}?_params").status_code == 200  # describing still works
        assert client.get(path).status_code == 200  # the page too
    assert "does not exist" in client.get("/folder", params={"text": "x"}).json()["error"]
    assert "HF_HUB_OFFLINE" in client.get("/hub", params={"text": "x"}).json()["error"]


def test_put_of_a_good_folder_fixes_an_unloadable_endpoint(make_client, tiny_models, nlp_yaml, tmp_path):
    client = make_client(nlp_yaml(hub=("SentimentAnalysis", None)))
    assert client.get("/hub", params={"text": "x"}).status_code == 503
    bad = client.put("/hub", params={"model": str(tmp_path / "nowhere")})
    assert bad.status_code == 400 and "nowhere" in bad.json()["error"]
    assert client.get("/hub?_params").json()["params"]["params"] == {}  # nothing was stored
    fixed = client.put("/hub", params={"model": str(tiny_models.sentiment)})
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["params"]["params"] == {"model": str(tiny_models.sentiment)}
    assert client.get("/hub", params={"text": "x"}).json() in (["LABEL_0"], ["LABEL_1"])


def test_an_unreachable_hub_is_detected_quickly(make_client, nlp_yaml, monkeypatch):
    # Online mode, with the hub at a closed local port: the probe fails at once. (Nothing can be
    # downloaded anyway: huggingface_hub read HF_HUB_OFFLINE=1 when it was imported.)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    client = make_client(nlp_yaml(hub=("NER", "some-org/some-ner-model")))
    response = client.get("/hub", params={"text": "x"})
    assert response.status_code == 503
    error = response.json()["error"]
    assert "some-org/some-ner-model" in error and "not reachable" in error and str(port) in error


def test_loading_is_bounded_in_time_and_finishes_in_the_background(
        make_client, tiny_models, nlp_yaml, monkeypatch):
    release = threading.Event()
    real_load = loading._load

    def slow_load(task, model_src, tokenizer_src):
        release.wait(60)
        return real_load(task, model_src, tokenizer_src)

    monkeypatch.setattr(loading, "_load", slow_load)
    monkeypatch.setenv(loading.TIMEOUT_ENV, "0.2")
    # A copy of the folder: the tiny model itself may already be kept from another test.
    folder = str(tiny_models.sentiment) + "/."
    client = make_client(nlp_yaml(slow=("SentimentAnalysis", folder)))
    response = client.get("/slow", params={"text": "x"})
    assert response.status_code == 503
    assert "longer than 0.2 s" in response.json()["error"] and loading.TIMEOUT_ENV in response.json()["error"]
    release.set()
    for thread in threading.enumerate():
        if thread.name.startswith("mlhandler-nlp-load-"):
            thread.join(60)
    monkeypatch.setattr(loading, "_load", lambda *args: pytest.fail("loaded twice"))
    fixed = client.put("/slow", params={"model": folder})  # kept from the background load
    assert fixed.status_code == 200, fixed.text
    assert client.get("/slow", params={"text": "x"}).status_code == 200


def test_each_model_is_loaded_once(make_client, tiny_models, nlp_yaml):
    client = make_client(nlp_yaml(a=("NER", tiny_models.ner), b=("NER", tiny_models.ner)))
    endpoints = client.app.state.endpoints
    first, second = endpoints["a"].served.model, endpoints["b"].served.model
    assert first.network is second.network and first.tokenizer is second.tokenizer
    client.delete("/a?_model")  # back to the pretrained model: the kept one, not a new load
    assert endpoints["a"].served.model.network is second.network


def test_bad_params_in_the_yaml_stop_the_start(tmp_path, tiny_models, nlp_yaml):
    path = tmp_path / "bad.yaml"
    path.write_text(nlp_yaml(bad=("NER", tiny_models.ner, {"epochs": 0, "colour": "red"})))
    with pytest.raises(ConfigError) as raised:
        TestClient(build_app(load_config(path)))
    assert "colour" in raised.value.message


def test_a_tokenizer_that_does_not_fit_the_model_is_refused(ner_client, tiny_models, tmp_path):
    from transformers import AutoTokenizer

    bigger = AutoTokenizer.from_pretrained(str(tiny_models.ner))
    bigger.add_tokens(["Zanzibarian"])
    bigger.save_pretrained(tmp_path / "bigger")
    response = ner_client.put("/ner", params={"tokenizer": str(tmp_path / "bigger")})
    assert response.status_code == 400
    assert "tokens but the network only" in response.json()["error"]
    assert ner_client.get("/ner", params={"text": "Zanzibarian Alice"}).status_code == 200


def test_startup_training_on_an_unloadable_model_leaves_the_server_up(make_client, corpus, tmp_path):
    (tmp_path / "reviews.json").write_text(json.dumps(corpus.sentiment_train[:20]))
    client = make_client("url:\n  reviews:\n    pattern: /reviews\n    handler: MLHandler\n    kwargs:\n"
                         "      data: {url: $YAMLPATH/reviews.json}\n"
                         "      model: {class: SentimentAnalysis, target_col: label}\n")
    response = client.get("/reviews", params={"text": "x"})
    assert response.status_code == 503 and HUB_SENTIMENT in response.json()["error"]

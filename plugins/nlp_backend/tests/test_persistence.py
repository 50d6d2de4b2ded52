"""The plugin's persistence hooks: fine-tuned models are folders, written atomically; other
models are left to other plugins."""

from __future__ import annotations

import mlhandler.atomic
from mlhandler.plugins import get_plugin_manager
from mlhandler_nlp import hooks, persistence


def test_hooks_leave_other_models_and_formats_to_other_plugins(tmp_path):
    assert hooks.save_model(model={"not": "an NLP model"}, directory=tmp_path) is None
    assert hooks.load_model(path=tmp_path / "model.pkl", format="joblib") is None
    assert list(tmp_path.iterdir()) == []
    # Through the plugin manager, a plain object still reaches the core's joblib store.
    saved = get_plugin_manager().hook.save_model(model=[1, 2, 3], directory=tmp_path)
    assert saved.format == "joblib"


def test_a_fine_tuned_model_is_saved_as_a_folder_the_hooks_read_back(sentiment_client, corpus, tmp_path):
    client = sentiment_client
    response = client.post("/sentiment?_action=train&target_col=label", json=corpus.sentiment_train[:30])
    assert response.status_code == 200, response.text
    endpoint = client.app.state.endpoints["sentiment"]
    info = endpoint.model_info
    assert info["format"] == persistence.FORMAT and info["path"].endswith("/model")
    folder = endpoint.store.model_path(info)
    assert {"config.json", "model.safetensors", "tokenizer.json", persistence.META} <= {
        p.name for p in folder.iterdir()}
    loaded = get_plugin_manager().hook.load_model(path=folder, format=persistence.FORMAT)
    served = endpoint.served.model
    assert loaded.task == "SentimentAnalysis" and loaded.labels == served.labels
    assert loaded.settings == served.settings and loaded.fine_tuned is True


def test_a_failed_save_leaves_no_model_and_the_old_one_serving(sentiment_client, corpus, monkeypatch):
    client = sentiment_client

    def disk_full(path):
        raise OSError(28, "No space left on device")

    # The model folder is the first thing the training writes (core's atomic_directory).
    monkeypatch.setattr(mlhandler.atomic, "_fsync", disk_full)
    response = client.post("/sentiment?_action=train&target_col=label", json=corpus.sentiment_train[:30])
    assert response.status_code == 507 and "No space left" in response.json()["error"]
    assert client.get("/sentiment?_params").json()["attrs"]["fine_tuned"] is False
    assert client.get("/sentiment", params={"text": "x"}).json() in (["LABEL_0"], ["LABEL_1"])
    config_dir = client.app.state.endpoints["sentiment"].store.directory
    assert not list(config_dir.rglob("model")) and not list(config_dir.rglob(".model.*"))
    monkeypatch.undo()
    retried = client.post("/sentiment?_action=train&target_col=label", json=corpus.sentiment_train[:30])
    assert retried.status_code == 200
    assert len(list(config_dir.glob("models/*/model"))) == 1

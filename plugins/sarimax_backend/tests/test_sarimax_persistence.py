"""The save_model / load_model hooks: SARIMAX models are saved as JSON (atomically), loaded back
to give identical predictions, and models of other plugins are left to them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlhandler.options import ModelOptions
from mlhandler.plugins import get_plugin_manager
from mlhandler.specs import SavedModel
from mlhandler_sarimax import hooks, persistence
from mlhandler_sarimax.backend import BACKEND


@pytest.fixture
def trained(inflation):
    """A SARIMAX model with an exogenous regressor, fitted by the backend directly."""
    opts = ModelOptions(index_col="index", target_col="R")
    params = BACKEND.coerce_params(None, {"order": "2,0,0", "trend": "c"})
    return BACKEND.train(None, params, inflation, opts).model


def predictions(model, frame):
    opts = ModelOptions(index_col="index", target_col="R")
    later = pd.DataFrame({"index": ["1999-01-01", "1999-07-01"], "Dp": [0.01, -0.02]})
    rows = pd.concat([frame.assign(index=frame["index"].dt.strftime("%Y-%m-%d")), later])
    return BACKEND.predict(model, rows, opts, None, {"_interval": "0.9"}).frame


def test_save_writes_json_atomically_and_load_predicts_identically(trained, inflation, tmp_path):
    saved = hooks.save_model(model=trained, directory=tmp_path)
    assert saved == SavedModel(format="sarimax-json", path="sarimax.json")
    assert [p.name for p in tmp_path.iterdir()] == ["sarimax.json"]  # no temporary file left
    document = json.loads((tmp_path / "sarimax.json").read_text())
    assert document["format"] == "sarimax-json" and document["version"] == 1
    assert document["params"] == {"order": [2, 0, 0], "trend": "c"}
    assert document["coef_names"] == ["intercept", "Dp", "ar.L1", "ar.L2", "sigma2"]
    assert len(document["endog"]) == 107 and document["start"] == "1972-04-01T00:00:00"

    loaded = hooks.load_model(path=tmp_path / "sarimax.json", format="sarimax-json")
    pd.testing.assert_frame_equal(predictions(loaded, inflation), predictions(trained, inflation))
    assert BACKEND.fitted_attrs(loaded) == BACKEND.fitted_attrs(trained)
    assert BACKEND.model_params(loaded) == BACKEND.model_params(trained)
    assert BACKEND.identify(loaded) == "SARIMAX"


def test_hooks_leave_other_models_and_formats_alone(tmp_path):
    assert hooks.save_model(model={"not": "a sarimax model"}, directory=tmp_path) is None
    assert hooks.load_model(path=tmp_path / "model.pkl", format="joblib") is None
    assert BACKEND.identify(object()) is None
    assert list(tmp_path.iterdir()) == []


def test_plugin_manager_routes_sarimax_models_to_this_plugin(trained, tmp_path):
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(hooks, name="sarimax")
    saved = pm.hook.save_model(model=trained, directory=tmp_path / "a")
    assert saved.format == "sarimax-json"  # ahead of the core's trylast joblib store
    other = pm.hook.save_model(model={"plain": 1}, directory=tmp_path / "b")
    assert other.format == "joblib"
    loaded = pm.hook.load_model(path=tmp_path / "a" / "sarimax.json", format="sarimax-json")
    assert isinstance(loaded, type(trained))


def test_a_file_of_another_version_is_refused(trained, tmp_path):
    hooks.save_model(model=trained, directory=tmp_path)
    path = tmp_path / "sarimax.json"
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "version": 99}))
    with pytest.raises(ValueError, match="version 99"):
        persistence.load(path)


def test_model_with_gaps_round_trips(inflation, tmp_path):
    opts = ModelOptions(index_col="index", target_col="R", exclude=["Dp"])
    params = BACKEND.coerce_params(None, {"freq": "QS"})
    model = BACKEND.train(None, params, inflation.drop(index=[10, 11]), opts).model
    hooks.save_model(model=model, directory=tmp_path)
    assert json.loads((tmp_path / "sarimax.json").read_text())["endog"][10] is None
    loaded = persistence.load(tmp_path / "sarimax.json")
    np.testing.assert_array_equal(loaded.fitted_values(), model.fitted_values())


def test_download_serves_the_json_model(blank, inflation, train_over_http):
    train_over_http(blank, inflation, "class=SARIMAX&index_col=index&target_col=R")
    response = blank.get("/sarimax?_download")
    assert response.status_code == 200
    assert 'filename="sarimax.json"' in response.headers["content-disposition"]
    assert json.loads(response.content)["coef_names"] == ["Dp", "ar.L1", "sigma2"]


def test_config_dir_holds_the_json_model(blank, inflation, train_over_http, workdir: Path):
    train_over_http(blank, inflation, "class=SARIMAX&index_col=index&target_col=R")
    config = json.loads((workdir / "models/sarimax/config.json").read_text())
    assert config["model"]["format"] == "sarimax-json"
    assert (workdir / "models/sarimax" / config["model"]["path"]).is_file()
    assert config["model"]["class"] == "SARIMAX" and config["model"]["kind"] == "forecaster"

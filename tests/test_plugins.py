"""The core's plugin system: discovery, disabling, validation, duplicates, and every hook, with
small inline plugins registered on a fresh plugin manager per test."""

from __future__ import annotations

import ast
import importlib.metadata
import io
import json
import sys
import types
from pathlib import Path

import joblib
import orjson
import pandas as pd
import pluggy
import pytest

import mlhandler
import mlhandler.hookspecs
from mlhandler import EstimatorSpec, RendererSpec, TransformSpec, hookimpl
from mlhandler.backend import Prediction, Trained
from mlhandler.errors import BadRequest, ConfigError
from mlhandler.jsonsafe import dumps
from mlhandler.plugins import Registry, disabled_plugins, get_plugin_manager
from mlhandler.schema import Schema
from mlhandler.specs import SavedModel
from tests.conftest import current_files
from tests.helpers import BLANK_YAML, IRIS_YAML

POINTS = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 4.0, 6.0, 9.0]})
POINTS_MEAN = 21.0 / 4  # mean of y, computed by hand

POINTS_YAML = """
url:
  mean:
    pattern: /mean
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/mean
      data:
        url: $YAMLPATH/points.csv
      model:
        class: MeanPredictor
        target_col: y
"""

LOGREG_YAML = IRIS_YAML + """\
      model:
        class: LogisticRegression
        target_col: species
"""


# --- inline test plugins ---------------------------------------------------------------------


class MeanBackend:
    """A tiny backend implementing mlhandler.backend.Backend: predicts the target's mean."""

    def __init__(self):
        self.trained = 0
        self.predicted: list[pd.DataFrame] = []

    def coerce_params(self, spec, raw):
        unknown = sorted(k for k in raw if k != "offset")
        if unknown:
            raise BadRequest(f"MeanPredictor has no parameter {unknown}; it takes ['offset'].")
        params = {}
        if "offset" in raw:
            try:
                params["offset"] = float(raw["offset"])
            except (TypeError, ValueError):
                raise BadRequest(f"offset must be a number, not {raw['offset']!r}.") from None
        return params

    def train(self, spec, params, data, opts):
        target = opts.target_col
        if not target or target not in data.columns:
            raise BadRequest("MeanPredictor needs target_col naming a column of the data.")
        self.trained += 1
        features = [c for c in data.columns if c != target and c not in opts.exclude]
        model = {"mean": float(data[target].mean()), "offset": float(params.get("offset", 0.0))}
        schema = Schema.from_frame(data, features, target)
        rows = len(data)
        return Trained(model=model, schema=schema, result={"score": 0.0, "metric": "mse", "rows": rows})

    def predict(self, model, data, opts, schema, query):
        self.predicted.append(data.copy())
        value = model["mean"] + model["offset"]
        if not opts.target_col:
            return Prediction(values=[value] * len(data))
        out = data.copy()
        out[opts.target_col] = value
        return Prediction(frame=out)

    def score(self, model, data, opts, schema, metric):
        error = ((data[opts.target_col] - (model["mean"] + model["offset"])) ** 2).mean()
        return {"score": float(error), "metric": metric or "mse", "rows": len(data)}

    def model_params(self, model):
        return {"offset": model["offset"]}

    def fitted_attrs(self, model):
        return {"mean_": model["mean"]}

    def identify(self, model):
        if isinstance(model, dict) and "mean" in model:
            return "MeanPredictor"
        return None


class MeanPlugin:
    def __init__(self, name: str = "MeanPredictor"):
        self.backend = MeanBackend()
        self.name = name

    @hookimpl
    def register_estimators(self):
        return [EstimatorSpec(name=self.name, kind="regressor", factory=dict, backend=self.backend)]


class JsonStore:
    """Persistence plugin: saves the mean models as JSON; leaves every other model alone."""

    FORMAT = "mean-json"

    def __init__(self):
        self.saved: list[Path] = []
        self.loaded: list[Path] = []

    @hookimpl
    def save_model(self, model, directory):
        if not (isinstance(model, dict) and "mean" in model):
            return None
        path = Path(directory) / "mean.json"
        path.write_text(json.dumps(model))
        self.saved.append(path)
        return SavedModel(format=self.FORMAT, path="mean.json")

    @hookimpl
    def load_model(self, path, format):
        if format != self.FORMAT:
            return None
        self.loaded.append(Path(path))
        return json.loads(Path(path).read_text())


def scale_by_ten(data: pd.DataFrame) -> pd.DataFrame:
    numeric = data.select_dtypes("number").columns
    return data.assign(**{c: data[c] * 10 for c in numeric})


class TransformPlugin:
    @hookimpl
    def register_transforms(self):
        return [TransformSpec(name="scale_by_ten", function=scale_by_ten, description="x10")]


def _wrapped_json(payload, context):
    return b'{"rendered_by": "myjson", "payload": ' + dumps(payload) + b"}"


class JsonRendererPlugin:
    @hookimpl
    def register_renderers(self):
        return [
            RendererSpec("json", "application/json", _wrapped_json),
            RendererSpec("shout", "text/plain; charset=utf-8", lambda p, c: b"SHOUT " + dumps(p)),
        ]


def core_pm(*plugins: tuple[str, object]) -> pluggy.PluginManager:
    pm = get_plugin_manager(load_entrypoints=False)
    for name, plugin in plugins:
        pm.register(plugin, name=name)
    return pm


@pytest.fixture
def points(workdir: Path) -> Path:
    path = workdir / "points.csv"
    POINTS.to_csv(path, index=False)
    return path


class FakeDist:
    """Stands in for an installed distribution that declares an `mlhandler` entry point."""

    def __init__(self, name: str, version: str, entry_name: str, module: str):
        self.metadata = {"name": name}
        self.version = version
        self.name = name
        self.entry_points = [
            importlib.metadata.EntryPoint(name=entry_name, value=module, group="mlhandler")
        ]


@pytest.fixture
def fake_distribution(monkeypatch):
    """`fake_distribution(module, dist_name, version, entry_name)` installs a fake distribution
    whose `mlhandler` entry point is `module` (a module object), for this test only."""

    def install(module: types.ModuleType, dist: str, version: str, entry_name: str) -> None:
        monkeypatch.setitem(sys.modules, module.__name__, module)
        real = importlib.metadata.distributions
        fake = FakeDist(dist, version, entry_name, module.__name__)
        monkeypatch.setattr(importlib.metadata, "distributions", lambda **kw: [*real(**kw), fake])

    return install


# --- discovery -------------------------------------------------------------------------------


def test_get_plugin_manager_loads_installed_sklearn_entry_point():
    pm = get_plugin_manager()
    assert pm.get_plugin("sklearn") is not None
    assert pm.get_plugin("core") is not None
    registry = Registry(pm)
    expected = {
        "LogisticRegression": "classifier",
        "RandomForestClassifier": "classifier",
        "Ridge": "regressor",
        "PCA": "transformer",
        "KMeans": "clusterer",
    }
    for name, kind in expected.items():
        spec = registry.estimators[name]
        assert spec.plugin == "sklearn"
        assert spec.kind == kind, name
    assert registry.estimator("LogisticRegression").name == "LogisticRegression"


def test_fresh_plugin_manager_per_call():
    pm1, pm2 = get_plugin_manager(load_entrypoints=False), get_plugin_manager(load_entrypoints=False)
    assert pm1 is not pm2
    pm1.register(MeanPlugin(), name="mean")
    assert "MeanPredictor" in Registry(pm1).estimators
    assert "MeanPredictor" not in Registry(pm2).estimators


def test_third_party_entry_point_is_discovered(fake_distribution):
    module = types.ModuleType("mlhandler_fake_mean")
    plugin = MeanPlugin()
    module.register_estimators = plugin.register_estimators
    fake_distribution(module, "mlhandler-fake-mean", "9.8.7", "fakemean")
    registry = Registry(get_plugin_manager())
    spec = registry.estimators["MeanPredictor"]
    assert spec.plugin == "fakemean"
    assert spec.backend is plugin.backend
    info = {i.name: i for i in registry.describe()}["fakemean"]
    assert (info.distribution, info.version) == ("mlhandler-fake-mean", "9.8.7")
    assert info.estimators == ["MeanPredictor"]
    # and the same entry point can be disabled by its name
    assert "MeanPredictor" not in Registry(get_plugin_manager(disabled={"fakemean"})).estimators


# --- disabling -------------------------------------------------------------------------------


def test_disabled_argument_blocks_sklearn():
    pm = get_plugin_manager(disabled={"sklearn"})
    assert pm.get_plugin("sklearn") is None
    registry = Registry(pm)
    assert "sklearn" not in registry.plugin_names()
    assert "LogisticRegression" not in registry.estimators
    assert not any(s.plugin == "sklearn" for s in registry.estimators.values())


def test_disable_env_var_blocks_sklearn(monkeypatch):
    monkeypatch.setenv("MLHANDLER_DISABLE_PLUGINS", "sklearn")
    registry = Registry(get_plugin_manager())
    assert "sklearn" not in registry.plugin_names()
    assert "LogisticRegression" not in registry.estimators
    monkeypatch.setenv("MLHANDLER_DISABLE_PLUGINS", "")
    assert "LogisticRegression" in Registry(get_plugin_manager()).estimators


def test_disabled_plugins_parses_comma_list():
    assert disabled_plugins({"MLHANDLER_DISABLE_PLUGINS": " nlp, sklearn ,,"}) == {"nlp", "sklearn"}
    assert disabled_plugins({}) == set()


def test_core_cannot_be_disabled():
    with pytest.raises(ConfigError, match="core"):
        get_plugin_manager(disabled={"core"})


def test_core_alone_yaml_class_fails_at_startup(make_client, monkeypatch):
    monkeypatch.setenv("MLHANDLER_DISABLE_PLUGINS", "sklearn")
    with pytest.raises(ConfigError) as info:
        make_client(LOGREG_YAML)  # pm=None: the app builds its own manager, honouring the env
    message = info.value.message
    assert "LogisticRegression" in message
    assert "no backend provides" in message.lower()
    assert "installed plugins" in message.lower()


def test_unknown_class_error_lists_installed_plugins(make_client):
    pm = core_pm(("meanplugin", MeanPlugin()))
    with pytest.raises(ConfigError) as info:
        make_client(LOGREG_YAML, pm=pm)
    message = info.value.message
    assert "LogisticRegression" in message
    assert "meanplugin" in message


def test_core_alone_blank_slate_starts_and_answers(make_client):
    client = make_client(BLANK_YAML, pm=core_pm())
    page = client.get("/blank")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    params = client.get("/blank?_params")
    assert params.status_code == 200
    assert params.json()["attrs"] == {}
    assert params.json()["params"]["class"] is None
    put = client.put("/blank?class=LogisticRegression")
    assert put.status_code == 400
    error = put.json()["error"]
    assert "LogisticRegression" in error
    assert "no backend provides" in error.lower()
    # nothing was stored
    assert client.get("/blank?_params").json()["params"]["class"] is None


# --- validation ------------------------------------------------------------------------------


class Misspelt:
    @hookimpl
    def register_estimator(self):  # should be register_estimators
        return []


def test_misspelt_hookimpl_fails_check_pending():
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Misspelt(), name="misspelt")
    with pytest.raises(pluggy.PluginValidationError, match="register_estimator"):
        pm.check_pending()


def test_misspelt_entry_point_plugin_fails_get_plugin_manager(fake_distribution):
    module = types.ModuleType("mlhandler_fake_misspelt")
    module.register_estimator = Misspelt().register_estimator
    fake_distribution(module, "mlhandler-fake-misspelt", "0.0.1", "misspelt")
    with pytest.raises(pluggy.PluginValidationError, match="register_estimator"):
        get_plugin_manager()


def test_hookimpl_with_wrong_arguments_is_rejected():
    class WrongArgs:
        @hookimpl
        def save_model(self, model, folder):  # the spec's argument is `directory`
            return None

    pm = get_plugin_manager(load_entrypoints=False)
    with pytest.raises(pluggy.PluginValidationError, match="folder"):
        pm.register(WrongArgs(), name="wrongargs")


# --- duplicates ------------------------------------------------------------------------------


def test_duplicate_estimator_names_both_providers():
    pm = core_pm(("alpha", MeanPlugin()), ("beta", MeanPlugin()))
    with pytest.raises(ConfigError) as info:
        Registry(pm)
    message = info.value.message
    assert "MeanPredictor" in message
    assert "alpha" in message and "beta" in message


def test_duplicate_of_sklearn_estimator_names_both_providers():
    pm = get_plugin_manager()
    pm.register(MeanPlugin(name="LogisticRegression"), name="impostor")
    with pytest.raises(ConfigError) as info:
        Registry(pm)
    assert "sklearn" in info.value.message and "impostor" in info.value.message


def test_duplicate_transform_names_both_providers():
    pm = core_pm(("t1", TransformPlugin()), ("t2", TransformPlugin()))
    with pytest.raises(ConfigError) as info:
        Registry(pm)
    assert "scale_by_ten" in info.value.message
    assert "t1" in info.value.message and "t2" in info.value.message


def test_duplicate_renderer_between_plugins_is_an_error():
    pm = core_pm(("r1", JsonRendererPlugin()), ("r2", JsonRendererPlugin()))
    with pytest.raises(ConfigError) as info:
        Registry(pm)
    assert "r1" in info.value.message and "r2" in info.value.message


def test_duplicate_app_startup_is_a_config_error(make_client, points):
    pm = core_pm(("alpha", MeanPlugin()), ("beta", MeanPlugin()))
    with pytest.raises(ConfigError, match="alpha"):
        make_client(POINTS_YAML, pm=pm)


# --- register_renderers ----------------------------------------------------------------------


def test_core_registers_json_csv_page_renderers():
    registry = Registry(core_pm())
    assert {"json", "csv", "page"} <= set(registry.renderers)
    assert all(registry.renderers[n].plugin == "core" for n in ("json", "csv", "page"))


def test_plugin_json_renderer_replaces_core(make_client, points):
    pm = core_pm(("mean", MeanPlugin()), ("myjson", JsonRendererPlugin()))
    registry = Registry(pm)
    assert registry.renderers["json"].plugin == "myjson"
    assert registry.renderers["csv"].plugin == "core"
    client = make_client(POINTS_YAML, pm=pm)
    response = client.get("/mean?_params")
    assert response.status_code == 200
    body = response.json()
    assert body["rendered_by"] == "myjson"
    assert body["payload"]["attrs"] == {"mean_": POINTS_MEAN}
    prediction = client.get("/mean?x=7").json()
    assert prediction == {"rendered_by": "myjson", "payload": [{"x": 7.0, "y": POINTS_MEAN}]}
    # a new format a plugin adds is available with ?_format=
    shout = client.get("/mean?_model&_format=shout")
    assert shout.status_code == 200
    assert shout.text.startswith("SHOUT ")
    assert json.loads(shout.text[len("SHOUT "):]) == {"offset": 0.0}
    # the core's csv renderer still works
    csv = client.get("/mean?_cache&_format=csv")
    assert pd.read_csv(io.StringIO(csv.text)).equals(POINTS)


# --- register_estimators: a whole backend through the core -------------------------------------


def test_mean_backend_end_to_end_over_http(make_client):
    plugin = MeanPlugin()
    client = make_client(BLANK_YAML, pm=core_pm(("mean", plugin)))
    put = client.put("/blank?class=MeanPredictor&target_col=y&offset=1.5")
    assert put.status_code == 200, put.text
    assert put.json()["params"] == {"class": "MeanPredictor", "params": {"offset": 1.5}}
    assert put.json()["opts"]["target_col"] == "y"
    assert client.get("/blank?x=1").status_code == 404  # nothing trained yet

    rows = [{"x": 1, "y": 10}, {"x": 2, "y": 20}, {"x": 3, "y": 60}]
    train = client.post("/blank?_action=train", json=rows)
    assert train.status_code == 200, train.text
    assert train.json() == {"score": 0.0, "metric": "mse", "rows": 3}
    assert plugin.backend.trained == 1

    predicted = client.get("/blank?x=5&x=6")
    assert predicted.status_code == 200, predicted.text
    assert predicted.json() == [{"x": 5, "y": 31.5}, {"x": 6, "y": 31.5}]
    posted = client.post("/blank?_action=predict", json=[{"x": 9}])
    assert posted.json() == [{"x": 9, "y": 31.5}]

    params = client.get("/blank?_params").json()
    assert params["params"] == {"class": "MeanPredictor", "params": {"offset": 1.5}}
    assert params["attrs"] == {"mean_": 30.0}
    assert client.get("/blank?_model").json() == {"offset": 1.5}

    score = client.post("/blank?_action=score", json=[{"x": 1, "y": 31.5}, {"x": 2, "y": 33.5}])
    assert score.json() == {"score": 2.0, "metric": "mse", "rows": 2}

    # the backend's own validation errors reach the client as 400s, and nothing is stored
    bad = client.put("/blank?offset=lots")
    assert bad.status_code == 400
    assert "offset" in bad.json()["error"]
    unknown = client.put("/blank?depth=3")
    assert unknown.status_code == 400
    assert "depth" in unknown.json()["error"]
    assert client.get("/blank?_params").json()["params"]["params"] == {"offset": 1.5}

    # the core's joblib store saved the model; _download serves it
    download = client.get("/blank?_download")
    assert download.status_code == 200
    assert joblib.load(io.BytesIO(download.content)) == {"mean": 30.0, "offset": 1.5}


def test_mean_backend_trained_at_startup_from_yaml(make_client, points):
    plugin = MeanPlugin()
    client = make_client(POINTS_YAML, pm=core_pm(("mean", plugin)))
    assert plugin.backend.trained == 1
    assert client.get("/mean?x=1").json() == [{"x": 1.0, "y": POINTS_MEAN}]
    assert client.get("/mean?_params").json()["params"]["class"] == "MeanPredictor"


def test_existing_model_file_is_identified_by_backend(make_client, workdir):
    """A model file named in the YAML is served by the backend whose identify() claims it.
    Backend.identify returns the class name (mlhandler.backend.Backend)."""
    joblib.dump({"mean": 3.0, "offset": 0.0}, workdir / "mean.pkl")
    plugin = MeanPlugin()
    client = make_client(
        """
        url:
          existing:
            pattern: /existing
            handler: MLHandler
            kwargs:
              config_dir: $YAMLPATH/models/existing
              model:
                path: $YAMLPATH/mean.pkl
        """,
        pm=core_pm(("mean", plugin)),
    )
    response = client.get("/existing?x=1&x=2")
    assert response.status_code == 200, response.text
    assert response.json() == [3.0, 3.0]
    assert client.get("/existing?_params").json()["params"]["class"] == "MeanPredictor"
    assert plugin.backend.trained == 0


# --- save_model / load_model -----------------------------------------------------------------


TWO_ENDPOINTS_YAML = POINTS_YAML + LOGREG_YAML.removeprefix("\nurl:\n")


def test_persistence_plugin_saves_and_loads_its_models(make_client, workdir, points):
    mean, store = MeanPlugin(), JsonStore()
    pm = get_plugin_manager()
    pm.register(mean, name="mean")
    pm.register(store, name="jsonstore")
    client = make_client(TWO_ENDPOINTS_YAML, pm=pm)

    _, mean_file = current_files(workdir / "models" / "mean")
    _, iris_file = current_files(workdir / "models" / "iris")
    assert mean_file.name == "mean.json"
    assert json.loads(mean_file.read_text()) == {"mean": POINTS_MEAN, "offset": 0.0}
    assert not (mean_file.parent / "model.pkl").exists()
    assert store.saved == [mean_file]
    # the core's joblib fallback still handles the models the plugin does not know
    assert iris_file.name == "model.pkl"
    assert not (iris_file.parent / "mean.json").exists()
    iris_model = joblib.load(iris_file)
    assert type(iris_model).__name__ in ("LogisticRegression", "Pipeline")
    download = client.get("/mean?_download")
    assert download.status_code == 200
    assert json.loads(download.content) == {"mean": POINTS_MEAN, "offset": 0.0}
    iris_prediction = client.get("/iris?sepal_length=5&sepal_width=3.5&petal_length=1.4&petal_width=0.2")

    # restart: the model comes back through load_model, without retraining
    assert store.loaded == []
    restarted = make_client(TWO_ENDPOINTS_YAML, pm=pm)
    assert mean.backend.trained == 1
    assert store.loaded == [mean_file]
    assert restarted.get("/mean?x=2").json() == [{"x": 2.0, "y": POINTS_MEAN}]
    again = restarted.get("/iris?sepal_length=5&sepal_width=3.5&petal_length=1.4&petal_width=0.2")
    assert again.json() == iris_prediction.json()


def test_model_no_plugin_can_load_is_a_startup_error(make_client, points):
    pm = core_pm(("mean", MeanPlugin()), ("jsonstore", JsonStore()))
    make_client(POINTS_YAML, pm=pm)
    # restart without the persistence plugin: the core's joblib store does not know the format
    with pytest.raises(ConfigError) as info:
        make_client(POINTS_YAML, pm=core_pm(("mean", MeanPlugin())))
    assert "mean-json" in info.value.message


def test_core_joblib_store_is_the_trylast_fallback():
    pm = core_pm(("jsonstore", JsonStore()))
    impls = {i.plugin_name: i for i in pm.hook.save_model.get_hookimpls()}
    assert impls["core"].trylast and not impls["jsonstore"].trylast
    assert pm.hook.save_model.spec.opts["firstresult"]
    assert pm.hook.load_model.spec.opts["firstresult"]
    # the plugin's impl runs first
    assert pm.hook.save_model.get_hookimpls()[-1].plugin_name == "jsonstore"


# --- register_transforms ---------------------------------------------------------------------


def test_plugin_transform_usable_by_name_in_yaml(make_client, points):
    mean = MeanPlugin()
    pm = core_pm(("mean", mean), ("tens", TransformPlugin()))
    registry = Registry(pm)
    assert registry.transforms["scale_by_ten"].plugin == "tens"
    client = make_client(POINTS_YAML.replace("url: $YAMLPATH/points.csv", (
        "url: $YAMLPATH/points.csv\n        transform: scale_by_ten")), pm=pm)
    # the training data went through the transform once
    assert client.get("/mean?_params").json()["attrs"] == {"mean_": POINTS_MEAN * 10}
    cache = pd.DataFrame(client.get("/mean?_cache").json())
    pd.testing.assert_frame_equal(cache, scale_by_ten(POINTS))
    # and so does data to predict, once
    assert client.get("/mean?x=2").status_code == 200
    assert mean.backend.predicted[-1]["x"].tolist() == [20]


def test_unknown_transform_name_is_not_silently_ignored(make_client, points):
    yaml_text = POINTS_YAML.replace(
        "url: $YAMLPATH/points.csv", "url: $YAMLPATH/points.csv\n        transform: scale_by_ten"
    )
    with pytest.raises(ConfigError):
        make_client(yaml_text, pm=core_pm(("mean", MeanPlugin())))


# --- describe --------------------------------------------------------------------------------


def test_registry_describe_versions_and_provisions():
    pm = get_plugin_manager()
    pm.register(MeanPlugin(), name="mean")
    pm.register(TransformPlugin(), name="tens")
    pm.register(JsonStore(), name="jsonstore")
    infos = {info.name: info for info in Registry(pm).describe()}
    assert {"core", "sklearn", "mean", "tens", "jsonstore"} <= set(infos)

    core = infos["core"]
    assert (core.distribution, core.version) == ("mlhandler", importlib.metadata.version("mlhandler"))
    assert core.version == mlhandler.__version__
    assert {"json", "csv", "page"} <= set(core.renderers)
    assert {"save_model", "load_model", "register_renderers"} <= set(core.hooks)

    sk = infos["sklearn"]
    assert sk.distribution == "mlhandler-sklearn"
    assert sk.version == importlib.metadata.version("mlhandler-sklearn")
    assert {"LogisticRegression", "PCA", "KMeans"} <= set(sk.estimators)
    assert sk.hooks == ["register_estimators"]

    assert infos["mean"].estimators == ["MeanPredictor"]
    assert infos["tens"].transforms == ["scale_by_ten"]
    assert infos["jsonstore"].hooks == ["load_model", "save_model"]
    assert infos["jsonstore"].estimators == []


# --- every hook has a test -------------------------------------------------------------------


def hook_names() -> list[str]:
    tree = ast.parse(Path(mlhandler.hookspecs.__file__).read_text())
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Name) and target.id == "hookspec":
                    names.append(node.name)
    return names


def test_hook_names_match_the_plugin_manager():
    pm = get_plugin_manager(load_entrypoints=False)
    specced = {name for name in vars(pm.hook) if getattr(pm.hook, name).has_spec()}
    assert set(hook_names()) == specced
    assert len(hook_names()) >= 5


@pytest.mark.parametrize("hook", hook_names())
def test_plugin_hooks_have_tests(hook):
    """Every hook is implemented by an inline test plugin in this file."""
    assert f"def {hook}(" in Path(__file__).read_text(), f"{hook} has no test plugin here"


def test_describe_is_json_serialisable():
    infos = Registry(get_plugin_manager()).describe()
    decoded = orjson.loads(orjson.dumps([i.__dict__ for i in infos]))
    assert {d["name"] for d in decoded} >= {"core", "sklearn"}

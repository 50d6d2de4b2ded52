"""The plugin's first test: its entry point is wired, and the installed plugin is listed."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

from mlhandler.plugins import Registry, get_plugin_manager

MLHANDLER = Path(sys.executable).parent / "mlhandler"


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "MLHANDLER_DISABLE_PLUGINS"}
    environ.update(env)
    return subprocess.run(
        [str(MLHANDLER), *args], capture_output=True, text=True, env=environ, timeout=120
    )


def test_distribution_exposes_sarimax_entry_point():
    dist = importlib.metadata.distribution("mlhandler-sarimax")
    points = [ep for ep in dist.entry_points if ep.group == "mlhandler"]
    assert [ep.name for ep in points] == ["sarimax"]
    assert points[0].value == "mlhandler_sarimax.hooks"
    module = points[0].load()
    assert {"register_estimators", "save_model", "load_model"} <= set(dir(module))
    assert any(req.startswith("statsmodels") for req in dist.requires or [])


def test_cli_plugins_json_lists_sarimax():
    result = run_cli("plugins", "--json")
    assert result.returncode == 0, result.stderr
    infos = {info["name"]: info for info in json.loads(result.stdout)}
    sarimax = infos["sarimax"]
    assert sarimax["distribution"] == "mlhandler-sarimax"
    assert sarimax["version"] == importlib.metadata.version("mlhandler-sarimax")
    assert sarimax["estimators"] == ["SARIMAX"]
    assert {"register_estimators", "save_model", "load_model"} <= set(sarimax["hooks"])


def test_plugin_can_be_disabled_by_its_name():
    names = {name for name, plugin in get_plugin_manager(disabled={"sarimax"}).list_name_plugin()
             if plugin is not None}
    assert "sarimax" not in names and "core" in names


def test_sarimax_serves_alongside_every_installed_plugin(make_client):
    # The real set-up: the YAML names class SARIMAX, the installed plugins provide it.
    client = make_client("""
    url:
      rates:
        pattern: /rates
        handler: MLHandler
        kwargs:
          config_dir: $YAMLPATH/models/rates
          data: {url: $YAMLPATH/inflation.csv}
          model: {class: SARIMAX, index_col: index, target_col: R, exclude: [Dp]}
    """, pm=get_plugin_manager())
    spec = Registry(get_plugin_manager()).estimator("SARIMAX")
    assert (spec.kind, spec.plugin) == ("forecaster", "sarimax")
    response = client.get("/rates?_steps=2")
    assert response.status_code == 200, response.text
    assert [row["index"] for row in response.json()] == ["1999-01-01T00:00:00", "1999-04-01T00:00:00"]


def test_discovery_does_not_import_statsmodels():
    # Heavy libraries load lazily, inside the code that fits or loads a model.
    code = ("import sys; from mlhandler.plugins import Registry, get_plugin_manager; "
            "Registry(get_plugin_manager()); print('statsmodels' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "MLHANDLER_DISABLE_PLUGINS": "sklearn,nlp"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

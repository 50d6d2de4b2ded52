"""The plugin's first test: its entry point is wired, and the installed plugin is listed."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

MLHANDLER = Path(sys.executable).parent / "mlhandler"


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "MLHANDLER_DISABLE_PLUGINS"}
    environ.update(env)
    return subprocess.run(
        [str(MLHANDLER), *args], capture_output=True, text=True, env=environ, timeout=120
    )


def test_distribution_exposes_sklearn_entry_point():
    dist = importlib.metadata.distribution("mlhandler-sklearn")
    points = [ep for ep in dist.entry_points if ep.group == "mlhandler"]
    assert [ep.name for ep in points] == ["sklearn"]
    assert points[0].value == "mlhandler_sklearn.hooks"
    module = points[0].load()
    assert callable(module.register_estimators)
    assert "mlhandler" in " ".join(dist.requires or [])


def test_entry_point_found_by_group():
    names = {ep.name: ep for ep in importlib.metadata.entry_points(group="mlhandler")}
    assert "sklearn" in names
    assert names["sklearn"].dist.name == "mlhandler-sklearn"


def test_cli_plugins_lists_sklearn():
    result = run_cli("plugins")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    version = importlib.metadata.version("mlhandler-sklearn")
    assert any(line.startswith("sklearn") and "mlhandler-sklearn" in line and version in line
               for line in lines), result.stdout
    section = result.stdout.split("\nsklearn", 1)[1]
    estimators = [line for line in section.splitlines() if line.strip().startswith("estimators:")]
    assert estimators, result.stdout
    from sklearn.utils import all_estimators

    count = len(all_estimators(type_filter=["classifier", "regressor", "cluster", "transformer"]))
    assert f"({count} in all)" in estimators[0]


def test_cli_plugins_json_lists_sklearn_estimators():
    result = run_cli("plugins", "--json")
    assert result.returncode == 0, result.stderr
    infos = {info["name"]: info for info in json.loads(result.stdout)}
    assert infos["sklearn"]["distribution"] == "mlhandler-sklearn"
    assert {"LogisticRegression", "RandomForestClassifier", "PCA", "KMeans"} <= set(
        infos["sklearn"]["estimators"]
    )


def test_cli_plugins_honours_disable_env():
    result = run_cli("plugins", "--json", MLHANDLER_DISABLE_PLUGINS="sklearn")
    assert result.returncode == 0, result.stderr
    names = {info["name"] for info in json.loads(result.stdout)}
    assert "sklearn" not in names
    assert "core" in names


def test_discovery_finds_what_all_estimators_finds_without_importing_torch():
    """Registering every estimator must not import torch (installed for the NLP plugin), which
    sklearn's own all_estimators() does on its way through sklearn.externals."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from mlhandler.plugins import Registry, get_plugin_manager\n"
        "registry = Registry(get_plugin_manager())\n"
        "print(len([s for s in registry.estimators.values() if s.plugin == 'sklearn']), 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    from sklearn.utils import all_estimators

    expected = len(all_estimators(type_filter=["classifier", "regressor", "cluster", "transformer"]))
    assert out.stdout.split() == [str(expected), "False"]

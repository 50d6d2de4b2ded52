"""The plugin's first tests: its entry point is wired, listed, and cheap to discover."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

MLHANDLER = Path(sys.executable).parent / "mlhandler"


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "MLHANDLER_DISABLE_PLUGINS"}
    environ.update(env)
    return subprocess.run(list(args), capture_output=True, text=True, env=environ, timeout=300)


def test_distribution_exposes_nlp_entry_point():
    dist = importlib.metadata.distribution("mlhandler-nlp")
    points = [ep for ep in dist.entry_points if ep.group == "mlhandler"]
    assert [(ep.name, ep.value) for ep in points] == [("nlp", "mlhandler_nlp.hooks")]
    module = points[0].load()
    for hook in ("register_estimators", "save_model", "load_model"):
        assert callable(getattr(module, hook))


def test_cli_plugins_json_lists_the_nlp_classes_and_hooks():
    result = run(str(MLHANDLER), "plugins", "--json")
    assert result.returncode == 0, result.stderr
    infos = {info["name"]: info for info in json.loads(result.stdout)}
    nlp = infos["nlp"]
    assert nlp["distribution"] == "mlhandler-nlp"
    assert nlp["version"] == importlib.metadata.version("mlhandler-nlp")
    assert nlp["estimators"] == ["NER", "SentimentAnalysis"]
    assert {"register_estimators", "save_model", "load_model"} <= set(nlp["hooks"])


def test_cli_plugins_honours_disable_env():
    result = run(str(MLHANDLER), "plugins", "--json", MLHANDLER_DISABLE_PLUGINS="nlp")
    assert result.returncode == 0, result.stderr
    names = {info["name"] for info in json.loads(result.stdout)}
    assert "nlp" not in names and "core" in names


def test_discovery_does_not_import_torch_transformers_or_spacy():
    code = (
        "import sys\n"
        "from mlhandler.plugins import Registry, get_plugin_manager\n"
        "registry = Registry(get_plugin_manager())\n"
        "spec = registry.estimator('SentimentAnalysis')\n"
        "assert spec.plugin == 'nlp' and spec.kind == 'text', spec\n"
        "heavy = sorted({'torch', 'transformers', 'spacy', 'seqeval'} & set(sys.modules))\n"
        "print(','.join(heavy))\n"
    )
    result = run(sys.executable, "-c", code, MLHANDLER_DISABLE_PLUGINS="sarimax,sklearn")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""

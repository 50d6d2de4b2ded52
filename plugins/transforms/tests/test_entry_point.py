"""The plugin's first test: its entry point is wired, and `mlhandler plugins` lists it with every
transform."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

NAMES = ["assign", "astype", "bin", "clip", "datetime_parts", "drop", "dropna", "fillna", "log1p",
         "lowercase", "query", "rename", "replace", "select", "strip"]
MLHANDLER = Path(sys.executable).parent / "mlhandler"


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "MLHANDLER_DISABLE_PLUGINS"}
    environ.update(env)
    return subprocess.run(
        [str(MLHANDLER), *args], capture_output=True, text=True, env=environ, timeout=120
    )


def test_distribution_exposes_the_transforms_entry_point():
    dist = importlib.metadata.distribution("mlhandler-transforms")
    points = [ep for ep in dist.entry_points if ep.group == "mlhandler"]
    assert [(ep.name, ep.value) for ep in points] == [("transforms", "mlhandler_transforms.hooks")]
    assert callable(points[0].load().register_transforms)


def test_cli_plugins_json_lists_every_transform():
    result = run_cli("plugins", "--json")
    assert result.returncode == 0, result.stderr
    infos = {info["name"]: info for info in json.loads(result.stdout)}
    transforms = infos["transforms"]
    assert transforms["distribution"] == "mlhandler-transforms"
    assert transforms["version"] == importlib.metadata.version("mlhandler-transforms")
    assert transforms["transforms"] == NAMES
    assert transforms["estimators"] == []
    assert "register_transforms" in transforms["hooks"]


def test_cli_plugins_honours_disable_env():
    result = run_cli("plugins", "--json", MLHANDLER_DISABLE_PLUGINS="transforms")
    assert result.returncode == 0, result.stderr
    infos = json.loads(result.stdout)
    assert "transforms" not in {info["name"] for info in infos}
    assert not any(set(NAMES) & set(info["transforms"]) for info in infos)

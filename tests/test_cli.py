"""The command line: `mlhandler plugins` and `mlhandler serve APP.yaml` (startup errors and a live
server), run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from importlib import metadata
from pathlib import Path

import httpx2
import pytest
from sklearn.utils import all_estimators

from tests.helpers import ROW, TITANIC_YAML, expected_survived, free_port

MLHANDLER = Path(sys.executable).parent / "mlhandler"


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if k != "MLHANDLER_DISABLE_PLUGINS" and not k.startswith("MLH_CLI_")
    }
    env.update(extra)
    return env


def run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(MLHANDLER), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(**env),
        timeout=300,
    )


# --- plugins -------------------------------------------------------------------------------------
def test_plugins_lists_core_and_sklearn_with_versions():
    result = run("plugins")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    core_version = metadata.version("mlhandler")
    sklearn_version = metadata.version("mlhandler-sklearn")
    assert any(line.startswith("core") and core_version in line for line in lines), result.stdout
    sklearn_at = [i for i, line in enumerate(lines) if line.startswith("sklearn")]
    assert len(sklearn_at) == 1, result.stdout
    assert sklearn_version in lines[sklearn_at[0]]
    # The sklearn block lists its estimators by name.
    block = []
    for line in lines[sklearn_at[0] + 1 :]:
        if not line.startswith(" "):
            break
        block.append(line.strip())
    estimators_line = next(line for line in block if line.startswith("estimators:"))
    names = {name.strip() for name in estimators_line.split(":", 1)[1].split(",")}
    real = {name for name, _ in all_estimators()}
    assert len(names & real) >= 5, estimators_line


def test_plugins_json_lists_estimators():
    result = run("plugins", "--json")
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert {"core", "sklearn"} <= set(plugins)
    sklearn = plugins["sklearn"]
    assert sklearn["version"] == metadata.version("mlhandler-sklearn")
    for name in ("LogisticRegression", "RandomForestClassifier", "PCA", "GaussianNB"):
        assert name in sklearn["estimators"]


def test_disabled_plugin_is_omitted():
    result = run("plugins", MLHANDLER_DISABLE_PLUGINS="sklearn")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("core") for line in lines), result.stdout
    assert not any(line.startswith("sklearn") for line in lines), result.stdout
    assert "LogisticRegression" not in result.stdout

    as_json = run("plugins", "--json", MLHANDLER_DISABLE_PLUGINS="sklearn")
    assert as_json.returncode == 0, as_json.stderr
    names = [p["name"] for p in json.loads(as_json.stdout)]
    assert "core" in names and "sklearn" not in names, names
    everyone = ",".join(n for n in names if n != "core")
    alone = run("plugins", "--json", MLHANDLER_DISABLE_PLUGINS=f"sklearn,{everyone}")
    assert [p["name"] for p in json.loads(alone.stdout)] == ["core"]


# --- serve: startup errors -----------------------------------------------------------------------
BAD_YAMLS = {
    "invalid-yaml": ("url: [unclosed\n  titanic: {\n", "bad.yaml"),
    "unknown-key": (
        TITANIC_YAML.replace("config_dir:", "confg_dir:"),
        "confg_dir",
    ),
    "unknown-class": (
        TITANIC_YAML.replace("class: LogisticRegression", "class: NoSuchEstimator"),
        "NoSuchEstimator",
    ),
    "undefined-variable": (
        TITANIC_YAML.replace("$YAMLPATH/models", "$MLH_CLI_UNDEFINED/models"),
        "MLH_CLI_UNDEFINED",
    ),
    "failed-startup-training": (
        TITANIC_YAML.replace("target_col: Survived", "target_col: NoSuchColumn"),
        "NoSuchColumn",
    ),
    "missing-data-file": (
        TITANIC_YAML.replace("titanic.csv", "nowhere.csv"),
        "nowhere.csv",
    ),
    "missing-yaml-file": (None, "nowhere.yaml"),
}


def assert_one_clear_error(result: subprocess.CompletedProcess, keyword: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith("mlhandler: error:")]
    assert len(errors) == 1, result.stderr
    line = lines[errors[0]]
    assert keyword in line, result.stderr
    # One line: the message is not continued on the following lines.
    assert [rest for rest in lines[errors[0] + 1 :] if rest.strip()] == [], result.stderr


@pytest.mark.parametrize("case", list(BAD_YAMLS))
def test_serve_startup_error_is_one_clear_line(workdir, case):
    text, keyword = BAD_YAMLS[case]
    name = "nowhere.yaml" if text is None else "bad.yaml"
    if text is not None:
        (workdir / name).write_text(textwrap.dedent(text), encoding="utf-8")
    result = run("serve", str(workdir / name), "--port", str(free_port()), cwd=workdir)
    assert_one_clear_error(result, keyword)


# --- serve: a live server ------------------------------------------------------------------------
def serve_and_predict(workdir: Path, args: list[str], port: int) -> list:
    process = subprocess.Popen(
        [str(MLHANDLER), "serve", str(workdir / "app.yaml"), *args],
        cwd=workdir,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        url = f"http://127.0.0.1:{port}/titanic?{ROW}"
        while True:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"mlhandler serve exited with {process.returncode}:\n{output}")
            try:
                response = httpx2.get(url, timeout=5)
            except httpx2.TransportError:
                response = None
            if response is not None and response.status_code == 200:
                return response.json()
            if time.monotonic() > deadline:
                status = None if response is None else (response.status_code, response.text)
                pytest.fail(f"no prediction from {url} within 60 s (last answer: {status})")
            time.sleep(0.25)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        if process.stdout:
            process.stdout.close()


def test_serve_on_port_from_command_line(workdir, titanic):
    port, yaml_port = free_port(), free_port()
    text = f"app:\n  listen: {{host: 127.0.0.1, port: {yaml_port}}}\n" + TITANIC_YAML
    (workdir / "app.yaml").write_text(text, encoding="utf-8")
    rows = serve_and_predict(workdir, ["--port", str(port)], port)
    # TITANIC_YAML is the seed model, which local_pipeline fits independently.
    assert [row["Survived"] for row in rows] == expected_survived(titanic, ROW)
    assert rows[0]["Sex"] == "male"


def test_serve_on_port_from_yaml(workdir, titanic):
    port = free_port()
    text = f"app:\n  listen: {{host: 127.0.0.1, port: {port}}}\n" + TITANIC_YAML
    (workdir / "app.yaml").write_text(text, encoding="utf-8")
    rows = serve_and_predict(workdir, [], port)
    assert [row["Survived"] for row in rows] == expected_survived(titanic, ROW)

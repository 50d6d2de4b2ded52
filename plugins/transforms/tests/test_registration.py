"""Transforms from other plugins: the README's example plugin, registered on a fresh plugin
manager, is usable by name in YAML next to the built-ins; a clashing name is a startup error; a
request may switch to registered names only."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

from mlhandler import TransformSpec, hookimpl
from mlhandler.errors import ConfigError
from mlhandler.plugins import Registry, get_plugin_manager

README = Path(__file__).parents[1] / "README.md"
PEOPLE = "name,fare,label\n Ann ,5,0\nBo,300,1\nCy,20,0\nDi,250,1\n"
ENDPOINT = """
url:
  people:
    pattern: /people
    handler: MLHandler
    kwargs:
      config_dir: $YAMLPATH/models/people
      data:
        url: $YAMLPATH/people.csv
        transform: {transform}
      model: {{class: LogisticRegression, target_col: label}}
"""


def readme_plugin() -> types.ModuleType:
    """The README's third-party plugin, as a module (its ```python block)."""
    source = re.search(r"```python\n(.*?)```", README.read_text(), flags=re.S).group(1)
    module = types.ModuleType("myplugin_hooks")
    exec(compile(source, str(README), "exec"), module.__dict__)  # our own README's example
    return module


@pytest.fixture
def people(workdir):
    (workdir / "people.csv").write_text(PEOPLE)


def test_the_readme_plugin_is_usable_in_yaml_next_to_built_ins(people, make_client):
    pm = get_plugin_manager()
    pm.register(readme_plugin(), name="myplugin")
    assert Registry(pm).transforms["winsorize"].plugin == "myplugin"
    client = make_client(ENDPOINT.format(transform="[strip, {winsorize: {fare: [0, 100]}}]"), pm=pm)
    rows = client.get("/people?_cache").json()
    assert [r["fare"] for r in rows] == [5, 100, 20, 100]
    assert rows[0]["name"] == "Ann"
    echo = client.post("/people?_action=predict", json=[{"name": "Ed", "fare": 1000}]).json()
    assert echo[0]["fare"] == 100


def test_the_readme_plugin_error_reaches_the_client(people, make_client):
    pm = get_plugin_manager()
    pm.register(readme_plugin(), name="myplugin")
    client = make_client(ENDPOINT.format(transform="[{winsorize: {fare: [0, 100]}}]"), pm=pm)
    response = client.post("/people?_action=predict", json=[{"name": "Ed", "price": 1}])
    assert response.status_code == 400
    assert "winsorize: columns ['fare'] are not in the data" in response.json()["error"]


def test_a_second_plugin_registering_a_built_in_name_is_a_startup_error():
    class Clash:
        @hookimpl
        def register_transforms(self):
            return [TransformSpec("fillna", lambda data: data, "another fillna")]

    pm = get_plugin_manager()
    pm.register(Clash(), name="clash")
    with pytest.raises(ConfigError, match=r"Two plugins provide the transform 'fillna': 'transforms' and 'clash'"):
        Registry(pm)


def test_put_switches_to_registered_names_and_refuses_code(people, make_client):
    client = make_client(ENDPOINT.format(transform="null"))
    assert client.get("/people?_cache").json()[0]["name"] == " Ann "
    put = client.put("/people?transform=strip&transform=lowercase")
    assert put.status_code == 200, put.text
    assert put.json()["transform"] == ["strip", "lowercase"]
    assert [r["name"] for r in client.get("/people?_cache").json()] == ["ann", "bo", "cy", "di"]
    assert client.get("/people?name=%20ED%20&fare=5").json()[0]["name"] == "ed"

    needs_options = client.put("/people?transform=log1p")
    assert needs_options.status_code == 400
    assert "log1p" in needs_options.json()["error"]
    dotted = client.put("/people?transform=os.system")
    assert dotted.status_code == 400
    assert client.get("/people?_params").json()["transform"] == ["strip", "lowercase"]

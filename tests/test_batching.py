"""Micro-batching of GET predictions: concurrent requests share one predict call, answer exactly
what they would answer alone, and an error reaches only the request that caused it."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from mlhandler.errors import ConfigError
from tests.helpers import FEMALE_ROW, ROW, TITANIC_YAML

ROWS = [ROW, FEMALE_ROW, ROW.replace("Age=22", "Age=70"), FEMALE_ROW.replace("Pclass=1", "Pclass=3"),
        ROW.replace("Fare=7.25", "Fare="), ROW + "&_proba=1", FEMALE_ROW + "&_proba=1"]


def gather_gets(app, queries: list[str]) -> list[httpx2.Response]:
    """Send every GET at once, on one event loop, as concurrent clients would."""

    async def run() -> list[httpx2.Response]:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*(client.get(f"/titanic?{q}") for q in queries))

    return asyncio.run(run())


def test_concurrent_gets_share_predict_calls_and_answer_as_alone(make_client):
    batched = make_client(TITANIC_YAML).app
    alone = make_client(TITANIC_YAML.replace("kwargs:\n", "kwargs:\n      batch: false\n"),
                        name="alone.yaml").app
    assert alone.state.endpoints["titanic"].batcher is None

    queries = ROWS * 6
    expected = [r.json() for r in gather_gets(alone, queries)]
    batcher = batched.state.endpoints["titanic"].batcher
    before = batcher.batches
    responses = gather_gets(batched, queries)
    assert [r.status_code for r in responses] == [200] * len(queries)
    # What each request answers without batching, in each request's own order: the same rows and
    # labels; probabilities equal up to the last bit of floating-point rounding (a matrix
    # product over 40 rows sums in another order than over 1).
    for got, want in zip((r.json() for r in responses), expected, strict=True):
        assert len(got) == len(want) == 1
        assert got[0].keys() == want[0].keys()
        for key, value in want[0].items():
            assert got[0][key] == (pytest.approx(value, rel=1e-12) if isinstance(value, float) else value)
    # Requests with the same columns, kinds of values and options were merged.
    assert batcher.batches - before < len(queries) / 3


def test_a_bad_request_in_a_batch_fails_alone(make_client):
    app = make_client(TITANIC_YAML).app
    good = [ROW, FEMALE_ROW] * 5
    bad = ROW.replace("Age=22", "Age=old")
    alone = [r.content for r in gather_gets(app, good)]
    # Same columns and kinds ("old" is text, so it would merge with other text ages): mix in
    # rows whose Age cannot be cast, and a row with a value for a column the model lacks.
    queries = [*good[:5], bad, *good[5:], bad]
    responses = gather_gets(app, queries)
    codes = [r.status_code for r in responses]
    assert codes == [200] * 5 + [400] + [200] * 5 + [400]
    assert "Age" in responses[5].json()["error"]
    assert [r.content for r, c in zip(responses, codes, strict=True) if c == 200] == alone


def test_batched_rows_with_text_in_a_numeric_column_do_not_change_others(make_client):
    """A request whose Age is text must not turn the numbers of the others into text."""
    app = make_client(TITANIC_YAML).app
    mixed = [ROW, ROW.replace("Age=22", "Age=22.0"), ROW.replace("Age=22", "Age=")]
    alone = [r.content for r in gather_gets(app, mixed[:1])] + \
            [r.content for r in gather_gets(app, mixed[1:2])] + \
            [r.content for r in gather_gets(app, mixed[2:])]
    assert [r.content for r in gather_gets(app, mixed * 3)] == alone * 3


def test_row_dropping_transform_answers_each_request_alone(make_client, user_module):
    module = user_module("def adults(data):\n    return data[data.Age.isna() | (data.Age >= 18)]\n")
    yaml_text = TITANIC_YAML.replace(
        "url: $YAMLPATH/titanic.csv", f"url: $YAMLPATH/titanic.csv\n        transform: {module}.adults")
    app = make_client(yaml_text).app
    child, adult = ROW.replace("Age=22", "Age=8"), ROW
    responses = gather_gets(app, [child, adult, child, adult])
    # The merged batch loses a row, so each request is answered alone: the child's row is
    # dropped by the transform (a 400 saying so), the adult's is predicted.
    assert [r.status_code for r in responses] == [400, 200, 400, 200], responses[0].text
    assert "rows" in responses[0].json()["error"]
    assert [r.content for r in responses[1::2]] == [r.content for r in gather_gets(app, [adult])] * 2


@pytest.mark.parametrize("setting", ["batch: {max_batch_size: 0}", "batch: {max_wait_ms: -1}",
                                     "batch: {size: 3}", "batch: fast"])
def test_bad_batch_settings_are_startup_errors(make_client, setting):
    with pytest.raises(ConfigError, match="batch"):
        make_client(TITANIC_YAML.replace("kwargs:\n", f"kwargs:\n      {setting}\n"))


def test_batch_settings_are_read(make_client):
    app = make_client(TITANIC_YAML.replace(
        "kwargs:\n", "kwargs:\n      batch: {max_batch_size: 4, max_wait_ms: 2}\n")).app
    batcher = app.state.endpoints["titanic"].batcher
    assert (batcher.settings.max_batch_size, batcher.settings.max_wait_ms) == (4, 2.0)
    queries = [ROW, FEMALE_ROW] * 6
    before = batcher.batches
    responses = gather_gets(app, queries)
    assert [r.status_code for r in responses] == [200] * len(queries)
    assert batcher.batches - before >= len(queries) / 4  # no batch holds more than 4 rows

"""Each transform used in a YAML `data.transform` list, over HTTP: the training data the endpoint
keeps (`?_cache`) and the rows it echoes with a prediction both show the step's effect, and a step
that fails is a startup error (YAML data) or a 400 naming it (request data)."""

from __future__ import annotations

import math
import textwrap
from datetime import date

import pytest

from mlhandler.errors import ConfigError

PEOPLE = """\
name,age,fare,city,date,label
 Alice ,22,7.25,Paris,2024-01-06,0
Bob,,71.28,London,2024-02-14,1
Carol,35,8.05,paris,2024-03-09,1
Dan,70,500,London,2023-12-31,0
Eve,4,16.7,Rome,2024-07-04,1
Frank,54,51.86,ROME ,2024-11-30,0
"""
FARES = [7.25, 71.28, 8.05, 500.0, 16.7, 51.86]
DATES = [date(2024, 1, 6), date(2024, 2, 14), date(2024, 3, 9), date(2023, 12, 31),
         date(2024, 7, 4), date(2024, 11, 30)]
ROW = {"name": " Zed ", "age": 30, "fare": 10.0, "city": "London", "date": "2024-03-09"}


def people_yaml(steps: str) -> str:
    """/people: the PEOPLE data through `steps` (YAML list items), LogisticRegression on label."""
    return (
        textwrap.dedent("""
        url:
          people:
            pattern: /people
            handler: MLHandler
            kwargs:
              config_dir: $YAMLPATH/models/people
              data:
                url: $YAMLPATH/people.csv
                transform:
        """)
        + textwrap.indent(textwrap.dedent(steps).strip() + "\n", " " * 10)
        + "      model: {class: LogisticRegression, target_col: label}\n"
    )


@pytest.fixture
def people(workdir, make_client):
    """`people(steps)`: a client for /people with those transform steps, trained at startup."""
    (workdir / "people.csv").write_text(PEOPLE)
    return lambda steps: make_client(people_yaml(steps))


def cache(client) -> list[dict]:
    response = client.get("/people?_cache")
    assert response.status_code == 200, response.text
    return response.json()


def predict(client, row: dict) -> list[dict]:
    response = client.post("/people?_action=predict", json=[row])
    assert response.status_code == 200, response.text
    return response.json()


def column(rows: list[dict], name: str) -> list:
    return [row[name] for row in rows]


def test_select_keeps_the_target_for_training_and_skips_it_for_prediction(people):
    client = people("- {select: [age, fare, label]}")
    rows = cache(client)
    assert list(rows[0]) == ["age", "fare", "label"]
    assert column(rows, "fare") == FARES
    (echo,) = predict(client, ROW)
    assert set(echo) == {"age", "fare", "label"}
    assert echo["label"] in (0, 1)


def test_drop(people):
    client = people("- {drop: [name, date]}")
    assert list(cache(client)[0]) == ["age", "fare", "city", "label"]
    (echo,) = predict(client, ROW)
    assert "name" not in echo and "date" not in echo


def test_rename(people):
    client = people("- {rename: {fare: price}}")
    rows = cache(client)
    assert "fare" not in rows[0]
    assert column(rows, "price") == FARES
    assert predict(client, ROW)[0]["price"] == 10.0


def test_astype(people):
    client = people("- {astype: {fare: int}}")
    assert column(cache(client), "fare") == [int(f) for f in FARES]
    assert predict(client, {**ROW, "fare": 7.9})[0]["fare"] == 7


def test_fillna_fills_training_and_prediction_rows(people):
    client = people("- {fillna: {age: 30}}")
    assert column(cache(client), "age") == [22, 30, 35, 70, 4, 54]
    assert predict(client, {**ROW, "age": None})[0]["age"] == 30


def test_dropna_by_name_and_with_a_subset(people):
    client = people("- dropna")
    assert column(cache(client), "name") == [" Alice ", "Carol", "Dan", "Eve", "Frank"]
    assert len(predict(client, ROW)) == 1


def test_dropna_subset(people):
    client = people("- {dropna: {subset: [age, label]}}")
    assert column(cache(client), "name") == [" Alice ", "Carol", "Dan", "Eve", "Frank"]
    assert len(predict(client, ROW)) == 1


def test_clip(people):
    client = people("- {clip: {fare: [0, 50]}}")
    assert column(cache(client), "fare") == [min(f, 50) for f in FARES]
    assert predict(client, {**ROW, "fare": 500})[0]["fare"] == 50


def test_log1p(people):
    client = people("- {log1p: [fare]}")
    assert column(cache(client), "fare") == pytest.approx([math.log(1 + f) for f in FARES])
    assert predict(client, {**ROW, "fare": math.e - 1})[0]["fare"] == pytest.approx(1.0)


def test_bin(people):
    client = people("- {bin: {column: age, bins: [0, 18, 60, 120], labels: [child, adult, senior], into: age_group}}")
    assert column(cache(client), "age_group") == ["adult", None, "adult", "senior", "child", "adult"]
    assert predict(client, {**ROW, "age": 70})[0]["age_group"] == "senior"


def test_datetime_parts(people):
    client = people("- {datetime_parts: {column: date, parts: [year, month, dayofweek], drop: true}}")
    rows = cache(client)
    assert "date" not in rows[0]
    assert column(rows, "date_year") == [d.year for d in DATES]
    assert column(rows, "date_month") == [d.month for d in DATES]
    assert column(rows, "date_dayofweek") == [d.weekday() for d in DATES]
    (echo,) = predict(client, {**ROW, "date": "2024-12-25"})
    assert (echo["date_year"], echo["date_month"], echo["date_dayofweek"]) == (2024, 12, 2)


def test_lowercase(people):
    client = people("- {lowercase: [city]}")
    assert column(cache(client), "city") == ["paris", "london", "paris", "london", "rome", "rome "]
    assert predict(client, {**ROW, "city": "PARIS"})[0]["city"] == "paris"


def test_strip_by_name_applies_to_every_text_column(people):
    client = people("- strip")
    rows = cache(client)
    assert column(rows, "name")[0] == "Alice"
    assert column(rows, "city")[-1] == "ROME"
    (echo,) = predict(client, {**ROW, "city": " Rome\t"})
    assert (echo["name"], echo["city"]) == ("Zed", "Rome")


def test_replace(people):
    client = people("- {replace: {city: {Paris: FR, London: UK}}}")
    assert column(cache(client), "city") == ["FR", "UK", "paris", "UK", "Rome", "ROME "]
    assert predict(client, ROW)[0]["city"] == "UK"


def test_query(people):
    client = people('- {query: "fare < 100"}')
    assert column(cache(client), "name") == [" Alice ", "Bob", "Carol", "Eve", "Frank"]
    assert len(predict(client, ROW)) == 1


def test_assign(people):
    client = people('- {assign: {fare_per_year: "fare / age"}}')
    rows = cache(client)
    assert rows[0]["fare_per_year"] == pytest.approx(7.25 / 22)
    assert rows[1]["fare_per_year"] is None
    assert predict(client, {**ROW, "fare": 10, "age": 5})[0]["fare_per_year"] == 2.0


def test_get_predictions_are_transformed(people):
    client = people("""
        - {datetime_parts: {column: date, parts: [month], drop: true}}
        - {lowercase: [city]}
        - {log1p: [fare]}
    """)
    response = client.get("/people?name=Zed&age=30&fare=0&city=ROME&date=2024-05-01")
    assert response.status_code == 200, response.text
    (echo,) = response.json()
    assert (echo["date_month"], echo["city"], echo["fare"]) == (5, "rome", 0.0)


def test_several_steps_run_in_order(people):
    client = people("""
        - {fillna: {age: 30}}
        - {clip: {fare: [0, 100]}}
        - {log1p: [fare]}
        - {bin: {column: age, bins: [0, 18, 120], labels: [minor, adult]}}
        - {rename: {age: age_group}}
        - strip
        - {lowercase: [city]}
    """)
    rows = cache(client)
    assert list(rows[0]) == ["name", "age_group", "fare", "city", "date", "label"]
    assert column(rows, "age_group") == ["adult", "adult", "adult", "adult", "minor", "adult"]
    assert column(rows, "fare") == pytest.approx([math.log(1 + min(f, 100)) for f in FARES])
    assert column(rows, "city") == ["paris", "london", "paris", "london", "rome", "rome"]
    (echo,) = predict(client, {**ROW, "age": None, "fare": 1000, "city": " PARIS "})
    assert (echo["age_group"], echo["city"]) == ("adult", "paris")
    assert echo["fare"] == pytest.approx(math.log(101))


def test_order_of_steps_matters(people):
    clip_then_log = cache(people("[{clip: {fare: [0, 10]}}, {log1p: [fare]}]"))
    assert column(clip_then_log, "fare") == pytest.approx([math.log(1 + min(f, 10)) for f in FARES])


def test_log_then_clip(people):
    log_then_clip = cache(people("[{log1p: [fare]}, {clip: {fare: [0, 3]}}]"))
    assert column(log_then_clip, "fare") == pytest.approx([min(math.log(1 + f), 3) for f in FARES])


def test_a_step_failing_on_request_data_is_a_400_naming_it(people):
    client = people("""
        - {fillna: {age: 30}}
        - {log1p: [fare]}
    """)
    response = client.post("/people?_action=predict", json=[{**ROW, "fare": -5}])
    assert response.status_code == 400
    error = response.json()["error"]
    assert "step 2 of 2 (log1p)" in error
    assert "log1p: column 'fare' has values at or below -1" in error
    missing = client.post("/people?_action=predict", json=[{k: v for k, v in ROW.items() if k != "age"}])
    assert missing.status_code == 400
    assert "fillna: column 'age' is not in the data" in missing.json()["error"]


def test_a_step_failing_on_yaml_data_stops_startup(people):
    with pytest.raises(ConfigError, match=r"fillna: column 'agee' is not in the data \(did you mean 'age'\?\)"):
        people("- {fillna: {agee: 30}}")


def test_options_that_do_not_fit_stop_startup(people):
    with pytest.raises(ConfigError, match=r"log1p.*do not fit"):
        people("- {log1p: {cols: [fare]}}")

"""Save and load SARIMAX models as JSON: parameters, columns, frequency, the training series and
the fitted coefficients. No pickle: the file is readable, safe to load, and independent of the
statsmodels version; loading rebuilds the results with one pass of the Kalman smoother.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from mlhandler.atomic import write_bytes
from mlhandler.specs import SavedModel
from mlhandler_sarimax.frequency import grid
from mlhandler_sarimax.model import SarimaxModel, rebuild_model
from mlhandler_sarimax.params import coerce_params
from mlhandler_sarimax.timestamps import iso

FORMAT = "sarimax-json"
VERSION = 1
MODEL_FILE = "sarimax.json"


def to_document(model: SarimaxModel) -> dict[str, Any]:
    exog = model.exog_frame
    return {
        "format": FORMAT,
        "version": VERSION,
        "params": model.params,  # tuples are written as lists; loading coerces them back
        "index_col": model.index_col,
        "target_col": model.target_col,
        "exog": model.exog,
        "freq": model.freq,
        "start": iso(model.start),
        # null where a period has no target value (a gap the Kalman filter skips)
        "endog": [None if np.isnan(v) else float(v) for v in model.endog],
        "exog_values": {c: exog[c].astype(float).tolist() for c in model.exog} if exog is not None else {},
        "coef_names": list(model.results.param_names),
        "coef": [float(v) for v in np.asarray(model.results.params)],
        "fit_info": model.fit_info,
    }


def from_document(doc: dict[str, Any]) -> SarimaxModel:
    if doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise ValueError(
            f"not a {FORMAT} version {VERSION} model (found {doc.get('format')!r} version "
            f"{doc.get('version')!r}); retrain it with this version of mlhandler-sarimax"
        )
    params = coerce_params(doc["params"])
    index = grid(pd.Timestamp(doc["start"]), len(doc["endog"]), doc["freq"])
    endog = pd.Series([np.nan if v is None else v for v in doc["endog"]], index=index,
                      dtype="float64", name=doc["target_col"])
    exog = pd.DataFrame(doc["exog_values"], index=index, dtype="float64") if doc["exog"] else None
    model = rebuild_model(
        endog, exog, params, np.asarray(doc["coef"], dtype="float64"),
        index_col=doc["index_col"], target_col=doc["target_col"], exog=list(doc["exog"]),
        freq=doc["freq"], fit_info=doc.get("fit_info") or {},
    )
    if list(model.results.param_names) != doc["coef_names"]:
        raise ValueError(
            f"its coefficients {doc['coef_names']} do not match the model's "
            f"{list(model.results.param_names)}; retrain it"
        )
    return model


def save(model: SarimaxModel, directory: Path) -> SavedModel:
    document = orjson.dumps(to_document(model), option=orjson.OPT_INDENT_2)
    write_bytes(Path(directory) / MODEL_FILE, document)
    return SavedModel(format=FORMAT, path=MODEL_FILE)


def load(path: Path) -> SarimaxModel:
    return from_document(orjson.loads(Path(path).read_bytes()))

"""A fine-tuned model on disk: a folder with the network and tokenizer (save_pretrained) and a
small JSON file saying which class it serves and with what settings.

The folder is written under a temporary name and renamed into place, so a crash leaves no
half-written model under the final name (and config.json only names a version once it is whole).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import orjson

from mlhandler.specs import SavedModel
from mlhandler_nlp.served import NLPModel

FORMAT = "mlhandler-nlp"
FOLDER = "model"  # _download serves it as model.zip
META = "mlhandler_nlp.json"


def save(model: NLPModel, directory: Path) -> SavedModel:
    target = directory / FOLDER
    tmp = Path(tempfile.mkdtemp(prefix=f".{FOLDER}.", suffix=".tmp", dir=directory))
    try:
        model.network.save_pretrained(tmp)
        with model.tokenizer_lock:
            model.tokenizer.save_pretrained(tmp)
        meta = {"task": model.task, "source": model.source, "settings": model.settings,
                "fine_tuned": model.fine_tuned}
        (tmp / META).write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
        _fsync_tree(tmp)
        os.replace(tmp, target)
        _fsync(directory)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return SavedModel(format=FORMAT, path=FOLDER)


def load(path: Path) -> NLPModel:
    from mlhandler_nlp.tasks import TASKS

    meta = orjson.loads((path / META).read_bytes())
    task = TASKS[meta["task"]]
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    network = task.auto_class().from_pretrained(str(path), local_files_only=True)
    network.eval()
    return NLPModel(task=task.name, network=network, tokenizer=tokenizer, source=meta["source"],
                    settings=meta["settings"], fine_tuned=meta.get("fine_tuned", True))


def _fsync_tree(root: Path) -> None:
    for item in root.rglob("*"):
        if item.is_file():
            _fsync(item)
    _fsync(root)


def _fsync(path: Path) -> Any:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

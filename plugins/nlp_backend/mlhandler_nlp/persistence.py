"""A fine-tuned model on disk: a folder with the network and tokenizer (save_pretrained) and a
small JSON file saying which class it serves and with what settings.

The folder is written under a temporary name and renamed into place, so a crash leaves no
half-written model under the final name (and config.json only names a version once it is whole).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from mlhandler.atomic import atomic_directory
from mlhandler.specs import SavedModel
from mlhandler_nlp.served import NLPModel

FORMAT = "mlhandler-nlp"
FOLDER = "model"  # _download serves it as model.zip
META = "mlhandler_nlp.json"


def save(model: NLPModel, directory: Path) -> SavedModel:
    with atomic_directory(directory / FOLDER) as tmp:
        model.network.save_pretrained(tmp)
        with model.tokenizer_lock:
            model.tokenizer.save_pretrained(tmp)
        meta = {"task": model.task, "source": model.source, "settings": model.settings,
                "fine_tuned": model.fine_tuned}
        (tmp / META).write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
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

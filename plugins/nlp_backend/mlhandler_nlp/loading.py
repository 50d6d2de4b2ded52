"""Load a pretrained model once, in bounded time, or fail with a 503 that says what to do.

A source is a local folder or a model hub name. Hub names are looked up in the local HF cache
first; the hub itself is contacted only when it answers a quick probe and HF_HUB_OFFLINE is not
set, and the whole load is bounded (MLHANDLER_NLP_LOAD_TIMEOUT seconds): without a network,
transformers would otherwise retry for about a minute per file.

Loaded models are kept (one per source and task), so endpoints and restarts of an endpoint's
model (DELETE ?_model, PUT of the same model) share one copy. Training copies before it changes
anything, so a kept model is never modified.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from mlhandler.errors import ServiceUnavailable
from mlhandler_nlp.served import NLPModel

log = logging.getLogger("mlhandler.nlp")

TIMEOUT_ENV = "MLHANDLER_NLP_LOAD_TIMEOUT"
DEFAULT_TIMEOUT = 300.0  # seconds: enough to download bert-large on a fair connection
PROBE_TIMEOUT = 5.0
OFFLINE_ENVS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
MAX_REASON = 300

_lock = threading.Lock()
_loaded: dict[tuple, tuple[Any, Any, Any]] = {}  # key -> (network, tokenizer, tokenizer lock)
_loading: dict[tuple, Future] = {}


class LoadError(Exception):
    """Why a source cannot be loaded, in words for the user."""


def load_pretrained(task: Any, settings: dict[str, Any]) -> NLPModel:
    """The model `settings` names, for `task` (a tasks.Task). Raises ServiceUnavailable."""
    model_src, tokenizer_src = settings["model"], settings["tokenizer"]
    key = (task.name, model_src, tokenizer_src, _stamp(model_src), _stamp(tokenizer_src))
    with _lock:
        kept = _loaded.get(key)
        future = None if kept else _loading.get(key)
        if kept is None and future is None:
            future = _loading[key] = _start(key, task, model_src, tokenizer_src)
    if kept is None:
        timeout = load_timeout()
        try:
            kept = future.result(timeout=timeout)
        except FutureTimeout:
            reason = (f"loading took longer than {timeout:g} s (it goes on in the background; "
                      f"{TIMEOUT_ENV} sets the limit)")
            raise unavailable(task, model_src, reason) from None
        except LoadError as exc:
            raise unavailable(task, model_src, str(exc)) from None
    network, tokenizer, tokenizer_lock = kept
    return NLPModel(task=task.name, network=network, tokenizer=tokenizer, source=model_src,
                    settings=dict(settings), tokenizer_lock=tokenizer_lock)


def unavailable(task: Any, source: str, reason: str) -> ServiceUnavailable:
    where = "PUT ?model=DIR, or params: {model: DIR} in the YAML"
    if is_local(source):
        fix = (f"Check that the folder holds a model saved with save_pretrained (config.json, "
               f"weights and tokenizer files), or point this endpoint at another folder: {where}")
    else:
        fix = (f"Download it where the model hub is reachable (e.g. `hf download {source} "
               f"--local-dir DIR`) and point this endpoint at the local folder: {where}")
    return ServiceUnavailable(
        f"The {task.name} model {source!r} cannot be loaded: {reason}. {fix}.", model=source
    )


def load_timeout() -> float:
    try:
        value = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        value = DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def is_local(source: str) -> bool:
    """A folder (existing, or written as a path) rather than a hub name such as org/model."""
    return Path(source).expanduser().exists() or source.startswith(("/", ".", "~", "\\"))


def _stamp(source: str) -> int | None:
    """Changes when a local folder's model is replaced, so that it is loaded afresh."""
    config = Path(source).expanduser() / "config.json"
    try:
        return config.stat().st_mtime_ns
    except OSError:
        return None


def _start(key: tuple, task: Any, model_src: str, tokenizer_src: str) -> Future:
    """Load in a daemon thread: a stuck download never blocks the server or its exit."""
    future: Future = Future()

    def run() -> None:
        try:
            network, tokenizer = _load(task, model_src, tokenizer_src)
            kept = (network, tokenizer, threading.Lock())
            with _lock:
                _loaded[key] = kept
            future.set_result(kept)
        except LoadError as exc:
            future.set_exception(exc)
        except Exception as exc:  # noqa: BLE001 - transformers raises many kinds: "cannot load"
            reason = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            future.set_exception(LoadError(reason[:MAX_REASON]))
        finally:
            with _lock:
                _loading.pop(key, None)

    threading.Thread(target=run, name=f"mlhandler-nlp-load-{model_src}", daemon=True).start()
    return future


def _load(task: Any, model_src: str, tokenizer_src: str) -> tuple[Any, Any]:
    for source in {model_src, tokenizer_src}:
        if is_local(source) and not Path(source).expanduser().is_dir():
            raise LoadError(f"the folder {source} does not exist")
    try:
        return _from_pretrained(task, model_src, tokenizer_src, local_only=True)
    except OSError:
        if all(is_local(s) for s in (model_src, tokenizer_src)):
            raise
    # A hub name not in the local cache: download it, if the hub can be reached at all.
    if offline():
        raise LoadError(f"it is not in the local model cache and {'/'.join(OFFLINE_ENVS)} "
                        "forbids downloading it")
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    if not hub_reachable(endpoint):
        raise LoadError(f"it is not in the local model cache and the model hub ({endpoint}) "
                        "is not reachable")
    log.info("downloading %s from %s", model_src, endpoint)
    return _from_pretrained(task, model_src, tokenizer_src, local_only=False)


def _from_pretrained(task: Any, model_src: str, tokenizer_src: str, local_only: bool):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(_path(tokenizer_src), local_files_only=local_only)
    if not getattr(tokenizer, "is_fast", False):
        raise LoadError("its tokenizer is not a fast (Rust) tokenizer, which word offsets need")
    network, info = task.auto_class().from_pretrained(
        _path(model_src), local_files_only=local_only, output_loading_info=True
    )
    # A tokenizer from elsewhere (params.tokenizer) must not produce ids the network lacks:
    # that would fail inside torch at the first request instead of here.
    vocab = getattr(network.config, "vocab_size", None)
    if isinstance(vocab, int) and len(tokenizer) > vocab:
        raise LoadError(f"its tokenizer ({tokenizer_src}) has {len(tokenizer)} tokens but the "
                        f"network only {vocab}; use the tokenizer the model was trained with")
    fresh = sorted(info.get("missing_keys") or [])
    if fresh:
        log.warning("%s: %s has new, untrained weights (%s); fine-tune it before use",
                    task.name, model_src, ", ".join(fresh[:4]))
    network.eval()
    return network, tokenizer


def _path(source: str) -> str:
    return str(Path(source).expanduser()) if is_local(source) else source


def offline() -> bool:
    return any(os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
               for name in OFFLINE_ENVS)


def hub_reachable(endpoint: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """Can a TCP connection to the hub be opened within `timeout`? Name resolution is not bounded
    by socket timeouts, so the probe runs in a thread that is waited for at most `timeout`."""
    url = urlparse(endpoint)
    host = url.hostname
    if not host:
        return False
    port = url.port or (443 if url.scheme == "https" else 80)
    outcome: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                outcome.append(True)
        except OSError:
            outcome.append(False)

    thread = threading.Thread(target=probe, name="mlhandler-nlp-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(outcome and outcome[0])

"""Fixtures for the nlp plugin's tests: synthetic corpora, a tiny BERT built from them (nothing is
downloaded), and apps built from YAML in tmp_path.

Self-contained (the plugin is its own distribution): nothing here imports from the core's tests.
"""

from __future__ import annotations

import os

# Nothing may be downloaded. huggingface_hub and transformers read these when first imported.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import random  # noqa: E402
import textwrap  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from mlhandler.app import build_app  # noqa: E402
from mlhandler.config import load_config  # noqa: E402

# The suite runs on 2 CPU cores; more threads than cores only slows tiny models down.
torch.set_num_threads(min(2, os.cpu_count() or 1))

POSITIVE = ["great", "excellent", "wonderful", "amazing", "fantastic", "superb", "lovely",
            "brilliant", "delightful", "perfect"]
NEGATIVE = ["terrible", "awful", "horrible", "dreadful", "boring", "disappointing", "poor", "bad",
            "ugly", "useless"]
NOUNS = ["movie", "food", "service", "hotel", "book", "phone", "staff", "room", "show", "trip",
         "camera", "concert"]
REVIEWS = ["The {noun} was {adj}.", "What a {adj} {noun}!", "I found the {noun} {adj}.",
           "Honestly, the {noun} is {adj}.", "Our {noun} turned out {adj} today.",
           "This {noun} felt {adj} to me.", "My friends said the {noun} was {adj}."]

FIRST = ["Alice", "Bob", "Carlos", "Diana", "Emeka", "Fatima", "George", "Hana", "Ivan", "Julia",
         "Kenji", "Lena", "Mohan", "Nadia", "Omar", "Priya"]
LAST = ["Smith", "Garcia", "Okafor", "Tanaka", "Ivanova", "Kumar", "Rossi", "Dubois", "Kowalski",
        "Chen", "Haddad", "Silva"]
PLACES = ["Paris", "London", "Tokyo", "Lagos", "Mumbai", "Berlin", "Madrid", "Cairo", "Toronto",
          "Sydney", "New York", "Buenos Aires", "Cape Town", "Hong Kong", "Mexico City"]
STORIES = ["{PER} visited {LOC} last week.", "{PER} moved to {LOC} in May.",
           "Yesterday {PER} flew from {LOC} to {LOC}.", "{PER} and {PER} met in {LOC}.",
           "The conference in {LOC} was opened by {PER}.", "{PER} lives near {LOC}.",
           "We saw {PER} at the station in {LOC}."]


def sentiment_rows(count: int, rng: random.Random, exclude: set[str] = frozenset()) -> list[dict]:
    rows, seen = [], set(exclude)
    while len(rows) < count:
        label = rng.choice(["NEGATIVE", "POSITIVE"])
        adj = rng.choice(POSITIVE if label == "POSITIVE" else NEGATIVE)
        text = rng.choice(REVIEWS).format(noun=rng.choice(NOUNS), adj=adj)
        if text not in seen:
            seen.add(text)
            rows.append({"text": text, "label": label})
    return rows


def story(rng: random.Random) -> dict:
    """One sentence with its entity spans: {text, labels: [{start, end, label}]}."""
    template = rng.choice(STORIES)
    text, labels = "", []
    for n, part in enumerate(template.replace("{", "}").split("}")):
        if n % 2 == 0:
            text += part
            continue
        if part == "PER":
            value = rng.choice(FIRST) + (f" {rng.choice(LAST)}" if rng.random() < 0.6 else "")
        else:
            value = rng.choice(PLACES)
        labels.append({"start": len(text), "end": len(text) + len(value), "label": part})
        text += value
    return {"text": text, "labels": labels}


def ner_rows(count: int, rng: random.Random, exclude: set[str] = frozenset()) -> list[dict]:
    rows, seen = [], set(exclude)
    while len(rows) < count:
        row = story(rng)
        if row["text"] not in seen:
            seen.add(row["text"])
            rows.append(row)
    return rows


@dataclass(frozen=True)
class Corpus:
    sentiment_train: list[dict]
    sentiment_test: list[dict]
    ner_train: list[dict]
    ner_test: list[dict]  # sentences (combinations of names and places) not in ner_train


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    rng = random.Random(7)
    s_train = sentiment_rows(300, rng)
    s_test = sentiment_rows(80, rng, exclude={r["text"] for r in s_train})
    n_train = ner_rows(300, rng)
    n_test = ner_rows(60, rng, exclude={r["text"] for r in n_train})
    return Corpus(s_train, s_test, n_train, n_test)


@dataclass(frozen=True)
class TinyModels:
    sentiment: Path  # a BertForSequenceClassification with labels LABEL_0, LABEL_1
    ner: Path  # a BertForTokenClassification with labels LABEL_0, LABEL_1


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, corpus: Corpus) -> TinyModels:
    """A WordPiece tokenizer trained on the training texts and a 2-layer BERT (hidden 32), saved
    as two model folders, as a model downloaded from the hub would be."""
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        BertForTokenClassification,
        BertTokenizerFast,
    )

    texts = [r["text"] for r in corpus.sentiment_train + corpus.ner_train]
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=False)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=1000, special_tokens=specials))
    cls, sep = wordpiece.token_to_id("[CLS]"), wordpiece.token_to_id("[SEP]")
    wordpiece.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    wordpiece.decoder = decoders.WordPiece()
    tokenizer = BertTokenizerFast(tokenizer_object=wordpiece, do_lower_case=False, model_max_length=64)
    config = BertConfig(vocab_size=wordpiece.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    root = tmp_path_factory.mktemp("tiny-models")
    folders = {}
    for name, cls_ in (("sentiment", BertForSequenceClassification), ("ner", BertForTokenClassification)):
        torch.manual_seed(0)
        folders[name] = root / name
        cls_(config).save_pretrained(folders[name])
        tokenizer.save_pretrained(folders[name])
    return TinyModels(**folders)


@pytest.fixture
def make_client(tmp_path: Path) -> Callable[..., TestClient]:
    """`make_client(yaml_text, name="app.yaml")`: write the YAML into tmp_path, build the app with
    the installed plugins, and return a TestClient. Building it again on the same YAML is a
    restart (same config_dir)."""
    clients = []

    def make(yaml_text: str, name: str = "app.yaml") -> TestClient:
        path = tmp_path / name
        path.write_text(textwrap.dedent(yaml_text))
        client = TestClient(build_app(load_config(path)))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def endpoint(cls: str, model: Path | str | None, **params) -> dict:
    """An endpoint of class `cls` on `model` (a folder or hub name; None: the class default)."""
    if model is not None:
        params = {"model": str(model), **params}
    return {"class": cls, "params": params} if params else {"class": cls}


def app_yaml(**endpoints: dict) -> str:
    """A YAML file serving `name=endpoint(...)` at /name, each with its own config_dir."""
    url = {
        name: {"pattern": f"/{name}", "handler": "MLHandler",
               "kwargs": {"config_dir": f"$YAMLPATH/models/{name}", "model": model}}
        for name, model in endpoints.items()
    }
    return yaml.safe_dump({"url": url}, sort_keys=False)


@pytest.fixture
def nlp_yaml() -> Callable[..., str]:
    """`nlp_yaml(name=(cls, model, params…))`: the YAML of endpoints of these classes."""

    def make(**endpoints: tuple) -> str:
        return app_yaml(**{name: endpoint(cls, model, **(params[0] if params else {}))
                           for name, (cls, model, *params) in endpoints.items()})

    return make


# Settings for the tiny models: a randomly initialised BERT learns with a large learning rate.
FAST = {"epochs": 6, "learning_rate": 0.003, "batch_size": 16, "seed": 0}


@pytest.fixture
def fast() -> dict:
    return dict(FAST)


@pytest.fixture
def sentiment_client(make_client, tiny_models) -> TestClient:
    """/sentiment: SentimentAnalysis on the tiny model, not fine-tuned yet."""
    return make_client(app_yaml(sentiment=endpoint("SentimentAnalysis", tiny_models.sentiment, **FAST)))


@pytest.fixture
def ner_client(make_client, tiny_models) -> TestClient:
    """/ner: NER on the tiny model, not fine-tuned yet."""
    return make_client(app_yaml(ner=endpoint("NER", tiny_models.ner, **FAST)))

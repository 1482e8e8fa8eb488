"""The learned answer selector: logistic regressions over sentence features, shipped as JSON.

It gives each candidate sentence the probability that it states the answer to the question.
Whole news articles and short passages (encyclopaedia paragraphs, FAQ entries) call for different
weights: in an article the answer is one detail among twenty sentences that all share the story's
words, in a paragraph the sentence that shares the question's words usually is the answer. So
there is one model for each, chosen by how many sentences the retrieved documents have, each with
its own calibrated abstention threshold. The weights come from ``rag train-selector``
(``rag/answer/training.py``) and are read from ``selector.json`` beside this file: plain numbers,
nothing unpickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.features import FEATURES

MODEL_FILE = Path(__file__).with_name("selector.json")
INPUTS = FEATURES + tuple(f"{name}_vs_others" for name in FEATURES)
"""What the models read: each feature of a candidate sentence, and the same feature minus its mean over
all candidates of the question. The second half tells the detail that stands out among the sentences
of the retrieved articles from the lead that shares the question's words with all of them."""
LONG_DOCUMENT = 8
"""Retrieved documents with more sentences than this (median) are articles; otherwise passages."""
KINDS = ("passages", "articles")


def model_inputs(features: np.ndarray) -> np.ndarray:
    """The ``INPUTS`` of one question's candidates (rows) from their ``FEATURES``."""
    return np.hstack([features, features - features.mean(axis=0)])


def document_kind(sentences_per_document: float) -> str:
    """``articles`` or ``passages``: which model reads documents of this (median) length."""
    return "articles" if sentences_per_document > LONG_DOCUMENT else "passages"


@dataclass(frozen=True)
class LogisticModel:
    """Standardised features → logistic probability; ``threshold`` is its calibrated abstention point."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float
    info: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """P(the sentence answers the question) for each row of ``features``: all candidates of one question."""
        if len(features) == 0:
            return np.zeros(0, dtype=np.float32)
        z = ((model_inputs(features) - self.mean) / self.scale) @ self.coef + self.intercept
        probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        return probabilities

    def to_json(self) -> dict[str, Any]:
        return {
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "coef": [round(float(x), 6) for x in self.coef],
            "intercept": round(self.intercept, 6),
            "threshold": round(self.threshold, 4),
            "info": self.info,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LogisticModel:
        return cls(
            np.asarray(data["mean"], dtype=np.float32),
            np.asarray(data["scale"], dtype=np.float32),
            np.asarray(data["coef"], dtype=np.float32),
            float(data["intercept"]),
            float(data["threshold"]),
            data.get("info", {}),
        )


@dataclass(frozen=True)
class Selector:
    """One ``LogisticModel`` per document kind (see ``document_kind``)."""

    models: dict[str, LogisticModel]

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Selector:
        """Read a selector file; it must name exactly the inputs this code computes, in order."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data.get("features", ())) != INPUTS or set(data.get("models", {})) != set(KINDS):
            raise ValueError(f"{path}: trained on other features or models; run `rag train-selector`")
        return cls({kind: LogisticModel.from_json(m) for kind, m in data["models"].items()})

    def save(self, path: Path) -> None:
        data = {"features": list(INPUTS), "models": {kind: m.to_json() for kind, m in self.models.items()}}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    def for_documents(self, sentences_per_document: float) -> LogisticModel:
        return self.models[document_kind(sentences_per_document)]

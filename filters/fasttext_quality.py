"""Model-based quality: a supervised fastText classifier (see `filters.train_quality`) scores each document;
documents whose positive-class probability is at least `threshold` are kept. The probability is recorded
as the signal `quality_score`, so a later re-filter can move the threshold without re-running the model.
"""
from __future__ import annotations

import os

from filters.base import Decision, Filter
from filters.fasttext_models import load_model, predict_all
from filters.quality_text import POSITIVE_LABEL, quality_text
from pipeline.document import Document


class FastTextQuality(Filter):
    name = "fasttext_quality_v1"
    params = {"model": str, "threshold": float, "label": str}

    def __init__(self, model: str, threshold: float = 0.5, label: str = POSITIVE_LABEL):
        if not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        if not os.path.isfile(model):
            raise FileNotFoundError(f"model file not found: {model}")
        self.model_path, self.threshold, self.label = model, threshold, label
        self._model = None

    def setup(self) -> None:
        if self._model is None:
            model = load_model(self.model_path)
            labels = [label.removeprefix("__label__") for label in model.labels]
            if self.label not in labels:
                raise ValueError(f"label {self.label!r} is not in {self.model_path} (it has {labels})")
            self._model = model

    def __call__(self, doc: Document) -> Decision:
        self.setup()
        score = predict_all(self._model, quality_text(doc.text)).get(self.label, 0.0)
        signals = {"quality_score": score}
        if score >= self.threshold:
            return Decision(keep=True, score=score, signals=signals)
        return Decision(keep=False, reason="low_quality_score", score=score, signals=signals)

    def thresholds(self) -> dict[str, list[tuple[float, str]]]:
        return {"quality_score": [(self.threshold, "threshold")]}

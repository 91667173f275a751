"""Language identification with fastText lid.176 (176 languages, ISO 639 codes as the model names them).

Keeps a document when one of the allowed `languages` scores above `threshold` (datatrove's LanguageFilter
rule); without `languages` it only tags. Either way the best language and its probability are recorded
as the signals `language` and `language_score`.
"""
from __future__ import annotations

import os
import re
from typing import Optional

from filters.base import Decision, Filter
from filters.fasttext_models import bundled_lid_model, load_model, predict_all
from pipeline.document import Document, Evidence

_CODE = re.compile(r"^[a-z]{2,3}$")


class LanguageId(Filter):
    name = "language_v1"
    params = {"languages": Optional[list[str]], "threshold": float, "model": Optional[str]}

    def __init__(self, languages: Optional[list[str]] = None, threshold: float = 0.65, model: Optional[str] = None):
        if isinstance(languages, str):
            languages = [languages]
        for code in languages or []:
            if not _CODE.match(code):
                raise ValueError(f"languages: {code!r} is not a lid.176 language code (like 'en', 'de', 'zh')")
        if not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        if model is not None and not os.path.isfile(model):
            raise FileNotFoundError(f"model file not found: {model}")
        self.languages = list(languages) if languages else None
        self.threshold = threshold
        self.model_path = model or bundled_lid_model()
        self._model = None
        self.setup()  # lid.176.ftz is under 1 MB and cached per process; its labels check `languages`

    def setup(self) -> None:
        if self._model is None:
            model = load_model(self.model_path)
            known = {label.removeprefix("__label__") for label in model.labels}
            unknown = sorted(set(self.languages or ()) - known)
            if unknown:
                raise ValueError(f"{os.path.basename(self.model_path)} does not know the language(s) {', '.join(unknown)}")
            self._model = model

    def __call__(self, doc: Document) -> Decision:
        self.setup()
        scores = predict_all(self._model, doc.text)
        language, score = max(scores.items(), key=lambda kv: kv[1])
        signals = {"language": language, "language_score": score}
        if self.languages is None:
            return Decision(keep=True, score=score, signals=signals)
        allowed_score = max(scores.get(lang, 0.0) for lang in self.languages)
        if allowed_score > self.threshold:
            return Decision(keep=True, score=allowed_score, signals=signals)
        reason = "language_low_score" if language in self.languages else "language_not_allowed"
        note = f"identified as {language} ({score:.2f}); best allowed {allowed_score:.2f} <= {self.threshold}"
        return Decision(keep=False, reason=reason, score=allowed_score, signals=signals, evidence=Evidence(note=note))

    def thresholds(self) -> dict[str, list[tuple[float, str]]]:
        return {"language_score": [(self.threshold, "threshold")]} if self.languages else {}

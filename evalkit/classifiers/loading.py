"""A classifier named by registry URI or path, loaded on first use (so building every config stays instant)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from evalkit.classifiers.data import model_input


class LazyClassifier:
    def __init__(self, model: str | Any, tracking_uri: str | None = None, store_dir: str = "runs"):
        self.model = model  # "models:/name/version", "models:/name@alias", a path, or a fitted classifier
        self.tracking_uri = tracking_uri
        self.store_dir = store_dir
        self._classifier: Any = None

    def get(self) -> Any:
        if self._classifier is None:
            if isinstance(self.model, str):
                from evalkit.classifiers.registry import load_classifier

                self._classifier = load_classifier(self.model, self.tracking_uri, self.store_dir)
            else:
                self._classifier = self.model
        return self._classifier

    def classes(self) -> list[str]:
        return [str(c) for c in self.get().classes_]

    def predict_proba(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> np.ndarray:
        return np.asarray(self.get().predict_proba(model_input(texts, contexts)))

    def positive_proba(self, positive: str, texts: Sequence[str],
                       contexts: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
        """P(positive) per text, and the most likely class per text."""
        classes = self.classes()
        if positive not in classes:
            raise ValueError(f"class {positive!r} is not among the classifier's classes {classes}")
        proba = self.predict_proba(texts, contexts)
        return proba[:, classes.index(positive)], [classes[i] for i in proba.argmax(axis=1)]

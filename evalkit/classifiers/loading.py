"""Trained models named by registry URI or path, loaded on first use (so building every config stays instant).

Scorers take these as their `classifier` / `model`: the scorer sees scikit-learn's face (`classes_`,
`predict_proba`) or a Combination, and never which store or file it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalkit.contract import TrainedModel, TrainingProfile
from evalkit.scorers.combined import MODEL_ARTIFACT, Combination, CombinationFile
from evalkit.scorers.quality import QualityModel

_REGISTERED = ("models:/", "runs:/")


class LazyClassifier(TrainedModel):
    """A classifier by `models:/name/version`, `models:/name@alias`, `runs:/id/model`, an MLflow model directory
    or a joblib file; the store is the configured URI, else MLFLOW_TRACKING_URI, else the embedded one."""

    def __init__(self, ref: str, tracking_uri: str | None = None, store_dir: str | None = None):
        self.ref = ref
        self.tracking_uri = tracking_uri
        self.store_dir = store_dir
        self._classifier: Any = None
        self._profile: TrainingProfile | None = None

    def get(self) -> Any:
        if self._classifier is None:
            from evalkit.classifiers.registry import load_with_profile  # MLflow's model code: seconds to import

            # The profile read with the model: the loaded version's (`latest` may move on), and the run's summary
            # needs no store.
            self._classifier, self._profile = load_with_profile(self.ref, self.tracking_uri, self.store_dir)
        return self._classifier

    @property
    def classes_(self) -> Any:
        return self.get().classes_

    def predict_proba(self, X: Any) -> Any:
        return self.get().predict_proba(X)

    def training_profile(self) -> TrainingProfile | None:
        """How its training data scored (from the training run's metrics); None for a model file."""
        if self._classifier is None:  # not used in this process: the version the reference names now
            from evalkit.classifiers.registry import training_profile

            return training_profile(self.ref, self.tracking_uri, self.store_dir)
        return self._profile


class RegisteredCombination:
    """A combined-score model by models:/ or runs:/ URI (as `evalkit train recipe=combined` registers it), or its
    JSON file's path."""

    def __init__(self, ref: str, tracking_uri: str | None = None, store_dir: str | None = None):
        self.ref = ref
        self.tracking_uri = tracking_uri
        self.store_dir = store_dir

    def load(self) -> Combination:
        if self.ref.startswith(_REGISTERED):
            from evalkit.classifiers.registry import model_artifact

            return Combination.load(model_artifact(self.ref, MODEL_ARTIFACT, self.tracking_uri, self.store_dir))
        return CombinationFile(Path(self.ref)).load()


class QualityModelRef(QualityModel):
    """The quality scorer's model: a JSON head (evalkit.classifiers.quality_head; the one shipped in models/quality/
    by default) or a registered `evalkit train recipe=quality` model by models:/ or runs:/ URI; loaded on first use."""

    def __init__(self, ref: str, tracking_uri: str | None = None, store_dir: str | None = None):
        self.ref = ref
        self.tracking_uri = tracking_uri
        self.store_dir = store_dir
        self._head: Any = None

    def get(self) -> Any:
        if self._head is None:
            from evalkit.classifiers.quality_head import QualityHead  # sklearn and the feature code: on first use

            if self.ref.endswith(".json"):
                self._head = QualityHead.load(self.ref)
            else:
                from evalkit.classifiers.registry import load_with_profile

                # The profile read with the model: the loaded version's, as for LazyClassifier.
                pipeline, profile = load_with_profile(self.ref, self.tracking_uri, self.store_dir)
                self._head = QualityHead.from_model(pipeline, {"source": self.ref}, profile)
        return self._head

    def predict_quality(self, X: Any) -> Any:
        return self.get().predict_quality(X)

    def predict_with_reasons(self, X: Any) -> tuple[Any, list[str]]:
        return self.get().predict_with_reasons(X)

    def training_profile(self) -> TrainingProfile | None:
        """How its training data scored: from the training run's metrics, or what a JSON head carries."""
        if self._head is None and not self.ref.endswith(".json"):  # not used in this process: the version named now
            from evalkit.classifiers.registry import training_profile

            return training_profile(self.ref, self.tracking_uri, self.store_dir)
        return self.get().profile

"""Classifiers in MLflow: log a trained model, register a new version, and load one back by URI or path.
Other trained models (the combined score) register the same way as a pyfunc holding their file (`artifacts`).

The store is resolved as runs' is (evalkit.tracking.store): the configured URI, else MLFLOW_TRACKING_URI, else the
embedded SQLite store, so `evalkit train` and `evalkit run` share a registry. MLflow is pointed at it only for the
duration of each call.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.pyfunc import PythonModel

from evalkit.classifiers.finetune import TransformersClassifier
from evalkit.classifiers.pair_encoder import PairEncoder
from evalkit.contract import TrainingProfile
from evalkit.errors import InvalidData
from evalkit.tracking.store import experiment_id, resolve_uri, using

_REGISTRY_SCHEMES = ("models:/", "runs:/")
# MLflow saves scikit-learn models with skops, which loads only types it is told to trust: ours are these.
TRUSTED_TYPES = ("evalkit.classifiers.features.JoinedText", "evalkit.classifiers.features.SentenceEmbeddings",
                 "evalkit.classifiers.features.PairFeatures", "evalkit.classifiers.features.QualityFeatures",
                 "evalkit.classifiers.quality_model.QualityEnsemble")


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    version: str
    run_id: str
    tracking_uri: str

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def _requirements(*packages: str) -> list[str]:
    """Pinned requirements, given so MLflow need not infer them (that loads the model again in a subprocess)."""
    out = []
    for package in packages:
        try:
            out.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            out.append(package)
    return out


def log_and_register(
    model: Any, name: str, *, tracking_uri: str | None = None, store_dir: str | None = None,
    experiment: str = "evalkit-train",
    params: Mapping[str, Any] | None = None, metrics: Mapping[str, float] | None = None,
    documents: Mapping[str, Any] | None = None, tags: Mapping[str, str] | None = None,
    artifacts: Mapping[str, str] | None = None, signature: Any = None,
) -> RegisteredModel:
    """One MLflow run holding the model, its params, CV metrics and JSON documents; a new registered version.

    `model` is a scikit-learn estimator, a fine-tuned transformers classifier, or a pyfunc PythonModel whose
    files are `artifacts` (name -> local path) and whose input and output are described by `signature`."""
    with using(resolve_uri(tracking_uri, store_dir)) as uri:
        return _log_and_register(model, name, uri, store_dir, experiment, params, metrics, documents, tags, artifacts,
                                 signature)


def _log_and_register(model: Any, name: str, uri: str, store_dir: str | None, experiment: str,
                      params: Mapping[str, Any] | None,
                      metrics: Mapping[str, float] | None, documents: Mapping[str, Any] | None,
                      tags: Mapping[str, str] | None, artifacts: Mapping[str, str] | None, signature: Any
                      ) -> RegisteredModel:
    import mlflow
    from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

    # The embedded store keeps the models beside it, as it keeps the runs' artifacts, not in ./mlruns.
    with mlflow.start_run(experiment_id=experiment_id(experiment, uri, store_dir), run_name=name,
                          tags={"evalkit.model": name, **(tags or {})}) as run:
        if params:
            mlflow.log_params({k: str(v)[:MAX_PARAM_VAL_LENGTH] for k, v in params.items()})
        if metrics:
            mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v == v})
        for file_name, document in (documents or {}).items():
            mlflow.log_dict(document, file_name)
        if isinstance(model, PythonModel):
            info = mlflow.pyfunc.log_model(name="model", python_model=model, artifacts=dict(artifacts or {}),
                                           signature=signature, registered_model_name=name,
                                           pip_requirements=_requirements("evalkit", "pandas"))
        elif (wrapper := _CHECKPOINT_PYFUNCS.get(type(model))) is not None:  # pyfunc around its checkpoint
            with tempfile.TemporaryDirectory() as tmp:
                model.save_pretrained(tmp)
                info = mlflow.pyfunc.log_model(
                    name="model", python_model=wrapper(), artifacts={"checkpoint": tmp},
                    registered_model_name=name,
                    pip_requirements=_requirements("evalkit", "torch", "transformers", "sentence-transformers",
                                                   "pandas"))
        else:
            info = mlflow.sklearn.log_model(
                model, name="model", registered_model_name=name, skops_trusted_types=list(TRUSTED_TYPES),
                pip_requirements=_requirements("evalkit", "scikit-learn", "pandas", "sentence-transformers"))
        return RegisteredModel(name, str(info.registered_model_version), run.info.run_id, uri)


def load_classifier(ref: str, tracking_uri: str | None = None, store_dir: str | None = None) -> Any:
    """A fitted classifier (predict_proba on evalkit's model input, classes_) from `models:/name/version`,
    `models:/name@alias`, `runs:/id/model`, an MLflow model directory, or a joblib file."""
    return load_with_profile(ref, tracking_uri, store_dir)[0]


def load_with_profile(ref: str, tracking_uri: str | None = None, store_dir: str | None = None
                      ) -> tuple[Any, TrainingProfile | None]:
    """The classifier, as load_classifier gives it, and its training profile (see training_profile), from one
    registry lookup: the profile is the loaded version's even where `latest` moves on."""
    if ref.startswith(_REGISTRY_SCHEMES):
        import mlflow

        with using(resolve_uri(tracking_uri, store_dir)) as uri:
            info = _model_info(mlflow, ref, uri, "classifier")
            return _load_flavor(mlflow, ref, info.flavors), _profile(mlflow, ref, info.run_id)
    path = Path(ref)
    if (path / "MLmodel").is_file():
        import mlflow
        import yaml

        flavors = yaml.safe_load((path / "MLmodel").read_text()).get("flavors", {})
        return _load_flavor(mlflow, str(path), flavors), None
    if path.is_file() and path.suffix in (".joblib", ".pkl"):
        import joblib

        return joblib.load(path), None
    raise InvalidData(f"classifier {ref!r}: not a models:/ or runs:/ URI, an MLflow model directory or a .joblib file")


def training_profile(ref: str, tracking_uri: str | None = None, store_dir: str | None = None
                     ) -> TrainingProfile | None:
    """How a registered model's training data scored in its cross-validation (the `cv/positive_mean` and
    `cv/negative_mean` metrics `evalkit train` logs), by models:/ or runs:/ URI; None for a model file, or a model
    trained before those metrics were logged."""
    if not ref.startswith(_REGISTRY_SCHEMES):
        return None
    import mlflow

    with using(resolve_uri(tracking_uri, store_dir)) as uri:
        return _profile(mlflow, ref, _model_info(mlflow, ref, uri, "model").run_id)


def _model_info(mlflow: Any, ref: str, uri: str, what: str) -> Any:
    try:
        return mlflow.models.get_model_info(ref)
    except Exception as err:  # MlflowException and friends: unknown name/version/alias
        raise InvalidData(f"{what} {ref!r} not found in the MLflow registry at {uri}: "
                          f"{str(err).splitlines()[0]}") from None


def _profile(mlflow: Any, ref: str, run_id: str) -> TrainingProfile | None:
    run = mlflow.MlflowClient().get_run(run_id)
    metrics, params = run.data.metrics, run.data.params
    if "cv/positive_mean" not in metrics or "cv/negative_mean" not in metrics:
        return None
    how = f"{params['recipe.folds']}-fold cross-validation" if "recipe.folds" in params else "cross-validation"
    return TrainingProfile(metrics["cv/positive_mean"], metrics["cv/negative_mean"],
                           f"{ref} (run {run_id}), {how} of its training data", params.get("recipe.positive"))


def model_artifact(ref: str, artifact: str, tracking_uri: str | None = None, store_dir: str | None = None) -> Path:
    """The local copy of the file a pyfunc model was logged with (`artifacts={artifact: path}`), by models:/ or
    runs:/ URI; the model's Python class is not loaded."""
    import mlflow

    with using(resolve_uri(tracking_uri, store_dir)) as uri:
        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=ref))
        except Exception as err:  # MlflowException and friends: unknown name/version/alias
            raise InvalidData(f"model {ref!r} not found in the MLflow registry at {uri}: "
                              f"{str(err).splitlines()[0]}") from None
    import yaml

    logged = yaml.safe_load((local / "MLmodel").read_text())["flavors"].get("python_function", {}).get("artifacts", {})
    if artifact not in logged:
        raise InvalidData(f"model {ref!r} carries no {artifact!r} file (it has {sorted(logged) or 'none'})")
    return local / logged[artifact]["path"]


class FinetunedPyfunc(PythonModel):
    """pyfunc around a fine-tuned checkpoint: predict gives class probabilities; `.classifier` is the model."""

    classifier: TransformersClassifier | PairEncoder | None = None

    def load_context(self, context: Any) -> None:
        self.classifier = TransformersClassifier.from_pretrained(context.artifacts["checkpoint"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        return pd.DataFrame(self.classifier.predict_proba(model_input), columns=list(self.classifier.classes_))


class PairEncoderPyfunc(FinetunedPyfunc):
    """pyfunc around a fine-tuned pair encoder's checkpoint (evalkit.classifiers.pair_encoder)."""

    def load_context(self, context: Any) -> None:
        self.classifier = PairEncoder.from_pretrained(context.artifacts["checkpoint"])


# Fine-tuned models MLflow has no flavor for: saved as a checkpoint directory, loaded back by their pyfunc.
_CHECKPOINT_PYFUNCS: dict[type, type[FinetunedPyfunc]] = {TransformersClassifier: FinetunedPyfunc,
                                                          PairEncoder: PairEncoderPyfunc}


def _load_flavor(mlflow: Any, ref: str, flavors: Mapping[str, Any]) -> Any:
    if "sklearn" in flavors:
        return mlflow.sklearn.load_model(ref)
    return mlflow.pyfunc.load_model(ref).unwrap_python_model().classifier

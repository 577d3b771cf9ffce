"""Combined-score models in the MLflow registry: the JSON model file inside a pyfunc model, so a combination gets
versions, aliases and a models:/ URI like the classifiers. CombinedScorer reads the file back without this class;
`mlflow.pyfunc.load_model(uri).predict(frame with one column per scorer)` works too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc import PythonModel
from mlflow.types import ColSpec, Schema

from evalkit.classifiers.registry import RegisteredModel, log_and_register
from evalkit.scorers.combined import MODEL_ARTIFACT, Combination


class CombinationPyfunc(PythonModel):
    combination: Combination | None = None

    def load_context(self, context: Any) -> None:
        self.combination = Combination.load(context.artifacts[MODEL_ARTIFACT])

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> list[float]:
        return self.combination.predict(model_input.to_dict("records"))


def register_combination(path: str | Path, name: str, **kwargs: Any) -> RegisteredModel:
    """Log the model file (and kwargs: params, metrics, documents) as one run and register a new version."""
    features = Combination.load(path).features
    # One optional number per scorer in, the predicted rating out: what the registry shows about the model.
    signature = ModelSignature(Schema([ColSpec("double", f, required=False) for f in features]),
                               Schema([ColSpec("double")]))
    return log_and_register(CombinationPyfunc(), name, artifacts={MODEL_ARTIFACT: str(path)}, signature=signature,
                            **kwargs)

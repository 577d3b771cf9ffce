"""Text classifiers: labelled data, training pipelines, evaluation, and the MLflow model registry."""

"""Every use of MLflow for runs: where the store is, evaluation and comparison runs, fetching old runs, sweeps."""

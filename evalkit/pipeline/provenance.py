"""What a run records so it can be redone: package versions and the interpreter (config, data digest, bot
fingerprints, seed and git sha are recorded by the run itself)."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

# The packages whose versions can change a score, a sample or a stored result.
KEY_PACKAGES = ("evalkit", "numpy", "scipy", "pandas", "sacrebleu", "rouge-score", "nltk", "scikit-learn",
                "torch", "transformers", "sentence-transformers", "pyarrow", "mlflow", "hydra-core")


def package_versions(packages: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str]:
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def environment() -> dict[str, object]:
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": package_versions()}

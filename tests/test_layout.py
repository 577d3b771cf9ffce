"""The layout the README describes ("How the code is laid out") holds: imports point down the floors only, the
siblings of a floor never import each other, and the Hydra/OmegaConf edge stays in evalkit/cli."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "evalkit"
GROUND = {"transcript", "errors", "replay", "reply", "contract", "files", "results", "textnorm", "local_models"}
# Bottom to top; units on one floor are siblings.
FLOORS: list[set[str]] = [
    GROUND,
    {"loaders", "bots", "judges", "scorers"},
    {"summaries", "redaction"},
    {"compare", "validity"},
    {"tracking"},
    {"classifiers", "audit"},
    {"report"},
    {"pipeline"},
    {"cli", "testing"},
]
FLOOR = {unit: i for i, units in enumerate(FLOORS) for unit in units}


def unit_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def imports() -> list[tuple[Path, str, str]]:
    """(file, its unit, the evalkit unit it imports) for every import in the package."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        me = unit_of(".".join(relative.parts))
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                if name.startswith("evalkit.") and unit_of(name) not in ("", me):
                    found.append((path, me, unit_of(name)))
    return found


def test_every_unit_has_a_floor():
    units = {unit_of(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)) for p in PACKAGE.rglob("*.py")}
    assert units - {"", "__init__", "__main__"} <= set(FLOOR), f"units on no floor: {units - set(FLOOR)}"


@pytest.mark.parametrize(("path", "me", "other"), imports(), ids=lambda v: str(v).rsplit("/evalkit/", 1)[-1])
def test_imports_point_down(path: Path, me: str, other: str):
    if me in ("__init__", "__main__"):
        return  # the public API lists names from every floor (lazily)
    # Ground-floor modules build on each other (a Case holds Turns); packages only import floors below theirs.
    assert FLOOR[other] < FLOOR[me] or FLOOR[me] == FLOOR[other] == 0, \
        f"{path}: {me} (floor {FLOOR[me]}) imports {other} (floor {FLOOR[other]})"


def test_hydra_stops_at_the_cli_edge():
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] == "cli":
            continue
        text = path.read_text()
        assert "import hydra" not in text and "from hydra" not in text and "omegaconf" not in text, path


def test_the_ground_floor_stays_a_handful_of_modules():
    # A new module that owns one thing belongs in the package of that thing; the top of evalkit/ is for the data
    # every floor shares (and the public test doubles).
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert len(modules) <= 10, sorted(modules)
    assert modules - {"testing"} <= GROUND, sorted(modules - GROUND)

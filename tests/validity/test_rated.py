"""Rated-set formats: evalkit's JSONL, flat rows, USR and FED JSON; errors name file, record and field."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.validity.rated import load_rated, write_flat, write_nested
from tests.data import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "datasets" / "rated" / "support_ratings.jsonl"

# The shape of USR's Topical-Chat ratings file (one item, shortened).
USR = [{"context": "do you like jazz ?\nyes , miles davis mostly .\nhe played trumpet right ?\n",
        "fact": "miles davis was an american jazz trumpeter",
        "responses": [
            {"response": "yes , he was a famous trumpeter .\n", "model": "Original Ground Truth",
             "Understandable": [1, 1, 1], "Natural": [3, 3, 2], "Maintains Context": [3, 3, 3],
             "Engaging": [2, 3, 3], "Uses Knowledge": [1, 1, 1], "Overall": [5, 4, 5]},
            {"response": "i like pizza .\n", "model": "Argmax Decoding", "Understandable": [1, 1, 0],
             "Natural": [2, 1, 1], "Maintains Context": [1, 1, 1], "Engaging": [1, 1, 2], "Uses Knowledge": [0, 0, 0],
             "Overall": [1, 2, 1]},
            {"response": "he did , and he also played the flugelhorn .\n", "model": "Nucleus Decoding (p = 0.5)",
             "Understandable": [1, 1, 1], "Natural": [3, 2, 3], "Maintains Context": [3, 3, 2],
             "Engaging": [3, 2, 3], "Uses Knowledge": [1, 1, 0], "Overall": [4, 4, 3]}]}]


def test_shipped_set_loads_with_three_raters_per_aspect() -> None:
    rated = load_rated(str(SHIPPED))
    assert len(rated.items) == 40 and all(len(item.candidates) == 4 for item in rated.items)
    assert rated.aspects == ["appropriateness", "helpfulness", "overall"]
    raters, matrix = rated.rater_matrix("overall")
    assert raters == ["0", "1", "2"] and len(matrix[0]) == 160


def test_usr_reference_becomes_the_reference_and_roles_end_with_the_customer(tmp_path: Path) -> None:
    path = tmp_path / "tc_usr_data.json"
    path.write_text(json.dumps(USR))
    rated = load_rated(str(path))
    [item] = rated.items
    assert item.reference == "yes , he was a famous trumpeter ."
    assert [c.id for c in item.candidates] == ["Argmax Decoding", "Nucleus Decoding (p = 0.5)"]
    assert [t.role for t in item.context] == ["system", "customer", "agent", "customer"]
    assert item.context[0].text == "Knowledge: miles davis was an american jazz trumpeter"
    assert item.candidates[1].mean_rating("Overall") == pytest.approx(11 / 3)
    kept = load_rated(str(path), usr_reference="keep", knowledge=False)
    assert len(kept.items[0].candidates) == 3 and kept.items[0].context[0].role == "customer"


def test_fed_keeps_turn_level_items_and_reads_na_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "fed_data.json"
    path.write_text(json.dumps([
        {"context": "User: Hi!\nSystem: Hi! What's up?\nUser: Nothing much", "response": "System: Cool.",
         "system": "Meena", "annotations": {"Relevant": [2, "N/A (unclear)", 1]}},
        {"context": "User: Hi\nSystem: Yo", "system": "Human", "annotations": {"Coherent": [2, 1]}}]))
    [item] = load_rated(str(path)).items
    assert [t.role for t in item.context] == ["customer", "agent", "customer"]
    assert item.candidates[0].text == "Cool." and item.candidates[0].mean_rating("Relevant") == 1.5


def test_flat_csv_round_trips_through_the_nested_jsonl(tmp_path: Path) -> None:
    rated = load_rated(str(SHIPPED))
    write_flat(rated, tmp_path / "flat.csv")
    from_csv = load_rated(str(tmp_path / "flat.csv"))
    write_nested(from_csv, tmp_path / "again.jsonl")
    again = load_rated(str(tmp_path / "again.jsonl"))
    for a, b in ((rated, from_csv), (rated, again)):
        assert [i.id for i in a.items] == [i.id for i in b.items]
        assert [i.context for i in a.items] == [i.context for i in b.items]
        x = [c.mean_rating("overall") for _, c in a.rows]
        y = [c.mean_rating("overall") for _, c in b.rows]
        assert all(math.isclose(p, q) or (math.isnan(p) and math.isnan(q)) for p, q in zip(x, y, strict=True))


@pytest.mark.parametrize(("record", "message"), [
    ({"id": "a", "context": [], "candidates": []}, "record 0 (id 'a'), field 'candidates'"),
    ({"id": "a", "context": [], "candidates": [{"id": "x", "text": "hi"}]}, "field 'candidates[0].ratings'"),
    ({"id": "a", "context": [{"role": "robot", "text": "x"}], "candidates": [{"text": "hi", "ratings": {"o": [1]}}]},
     "field 'context[0].role': unknown role 'robot'"),
])
def test_bad_records_name_file_record_and_field(tmp_path: Path, record: dict, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(InvalidRecord, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                       .replace("]", r"\]")):
        load_rated(str(path))


def test_unknown_shape_says_which_keys_it_saw(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps([{"dialogue": [], "score": 3}]))
    with pytest.raises(InvalidData, match=r"cannot tell the rated format from record 0 \(keys \['dialogue', 'score'\]"):
        load_rated(str(path))

"""Slices by any metadata key the data has; a key no transcript has is one line of bad input, not empty tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import InvalidData
from evalkit.loaders.abcd import AbcdLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.scorers.overlap import TokenF1
from evalkit.summaries.run import StatsSettings
from evalkit.testing import EchoBot
from tests.data import ABCD_SAMPLE

pytestmark = pytest.mark.shared_data


def run(tmp_path: Path, slices: tuple[str, ...]):
    evaluation = Evaluation(dataset=AbcdLoader(str(ABCD_SAMPLE)), bots=[EchoBot()], scorers=[TokenF1()],
                            slices=slices, stats=StatsSettings(n_resamples=50))
    return evaluate(evaluation, tmp_path / "run").summary


def test_any_metadata_key_slices(tmp_path: Path):
    summary = run(tmp_path, ("flow",))
    flows = {s.slice_value for s in summary.scores if s.slice_key == "flow" and s.bot == "echo"}
    assert flows and len(flows) >= 2  # the sample's three chats have different flows


def test_a_key_no_transcript_has_is_an_error_naming_the_keys_there_are(tmp_path: Path):
    with pytest.raises(InvalidData) as caught:
        run(tmp_path, ("flow", "region"))
    message = str(caught.value)
    assert "'region'" in message and "flow" in message and "\n" not in message
    assert not (tmp_path / "run").exists()  # nothing written before the error


def test_a_key_holding_a_structure_is_an_error(tmp_path: Path):
    with pytest.raises(InvalidData, match="scenario"):
        run(tmp_path, ("scenario",))  # ABCD keeps the whole scenario object in meta

from pathlib import Path

from evalkit.bots.transformers_bot import TransformersBot
from evalkit.classifiers import likelihood
from evalkit.local_models import checkpoints
from evalkit.local_models.checkpoints import Checkpoint
from evalkit.local_models.packaged import locate


def test_a_bot_and_the_likelihood_features_share_one_copy_of_a_model(tiny_gpt2_path: Path):
    bot = TransformersBot(model=str(tiny_gpt2_path), device="cpu")
    model, tokenizer = likelihood.load_lm(str(tiny_gpt2_path))
    assert bot.load()[0] is model and bot.load()[1] is tokenizer
    # Settings that change the loaded weights load another copy.
    half = checkpoints.load(Checkpoint(locate(str(tiny_gpt2_path)), device="cpu", dtype="bfloat16"))[0]
    assert half is not model and str(half.dtype) == "torch.bfloat16"


def test_auto_means_float32_on_the_cpu():
    files = locate("/some/checkpoint")
    assert Checkpoint(files, device="cpu").resolved() == Checkpoint(files, device="cpu", dtype="float32")
    assert Checkpoint(files, device="cuda").resolved().dtype == "auto"


def test_a_directory_is_identified_by_its_small_files_contents_and_a_gguf_by_its_file(tmp_path: Path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.gguf").write_bytes(b"x" * 10)
    digest = checkpoints.identity(locate(str(tmp_path)))
    assert set(digest) == {"config.json", "model.gguf"}
    (tmp_path / "config.json").write_text('{"n_layer": 2}')
    assert checkpoints.identity(locate(str(tmp_path))) != digest
    gguf = checkpoints.identity(locate(str(tmp_path), "model.gguf"))
    assert list(gguf) == ["model.gguf"] and gguf["model.gguf"].startswith("size=10,")
    assert checkpoints.identity(locate("org/hub-model")) == "org/hub-model"

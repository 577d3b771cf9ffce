"""Which device a local model runs on when the config says `auto`: a GPU when there is one, else the CPU."""

from __future__ import annotations


def resolve_device(device: str | None = "auto") -> str:
    if device not in (None, "auto"):
        return device
    import torch

    if torch.cuda.is_available():
        return "cuda"
    return "mps" if torch.backends.mps.is_available() else "cpu"

"""A bot's identity for caches and comparisons: a stable hash of what determines its replies."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def fingerprint_of(kind: str, **params: Any) -> str:
    """Hash a bot's identifying parameters; same parameters, same fingerprint, across processes."""
    payload = json.dumps({"kind": kind, **params}, sort_keys=True, default=str)
    return f"{kind}-{hashlib.sha256(payload.encode()).hexdigest()[:16]}"

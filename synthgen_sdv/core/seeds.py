"""One recipe each for seeds, stable UUIDs and content hashes.

hashlib, never hash(): Python salts str hashes per process, which would make output depend
on which worker generated a chunk. Every derivation goes through ``digest`` so that the
recipes cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import numpy as np


def digest(*parts: object, sep: str = "\x1f") -> bytes:
    """SHA-256 of the parts' text joined by ``sep``: the primitive behind every recipe here."""
    return hashlib.sha256(sep.join(str(p) for p in parts).encode("utf-8")).digest()


def derive_seed(seed: int, *names: object) -> int:
    """A stable 64-bit seed for (seed, table, column, chunk, ...)."""
    return int.from_bytes(digest(seed, *names)[:8], "little")


def rng_for(seed: int, *names: object) -> np.random.Generator:
    """A numpy generator that depends only on (seed, *names)."""
    return np.random.Generator(np.random.PCG64(derive_seed(seed, *names)))


def stable_uuid(*parts: object) -> str:
    """A UUID that depends only on its parts (OpenLineage run ids must not change per run)."""
    return str(uuid.UUID(bytes=digest(*parts, sep=":")[:16], version=4))


def content_hash(data: str | bytes, length: int | None = None, prefix: str = "sha256:") -> str:
    """``sha256:<hex>`` of text or bytes (``length`` shortens the hex; ``prefix=""`` drops it)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    hexdigest = hashlib.sha256(raw).hexdigest()
    return prefix + (hexdigest[:length] if length else hexdigest)


def json_hash(doc: Any, **dumps: Any) -> str:
    """``content_hash`` of ``json.dumps(doc, **dumps)``; callers keep their own dumps options
    because the hashes are stored in outputs and must not change."""
    return content_hash(json.dumps(doc, **dumps))

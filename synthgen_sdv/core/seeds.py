"""Named seed derivation: a stable 64-bit seed per (seed, table, column, chunk, ...).

hashlib, never hash(): Python salts str hashes per process, which would make output depend
on which worker generated a chunk.
"""

from __future__ import annotations

import hashlib

import numpy as np


def derive_seed(seed: int, *names: object) -> int:
    text = "\x1f".join([str(seed), *(str(n) for n in names)])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


def rng_for(seed: int, *names: object) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(derive_seed(seed, *names)))

"""Hash every sampled table (hma, seed 0, scale 1) of the corpus + northwind, berka: one line
per table, to compare two trees byte for byte.  python benchmarks/hash_samples.py [DB,...]"""

import hashlib
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import pandas as pd  # noqa: E402
from bench_realdb import databases, load  # noqa: E402

from synthgen_sdv.core.progress import QUIET  # noqa: E402
from synthgen_sdv.runs.fit_sample import fit  # noqa: E402
from synthgen_sdv.runs.from_user import UserSource  # noqa: E402
from synthgen_sdv.runs.sample import sample  # noqa: E402

names = sys.argv[1].split(",") if len(sys.argv) > 1 else list(databases())
model = sys.argv[2] if len(sys.argv) > 2 else "hma"
for name in names:
    try:
        user = load(name, "detected", Path("/tmp"))
        source = UserSource(user=user, seed=0)
        fitted = fit(source, model, source.default_tables(), progress=QUIET)
        out = sample(fitted, 1.0)
    except Exception as exc:
        print(f"{name} ERROR {type(exc).__name__}: {exc}", flush=True)
        continue
    for table in sorted(out.tables):
        frame = out.tables[table]
        h = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).values.tobytes())
        h.update(repr(list(frame.columns)).encode() + repr(list(frame.dtypes)).encode())
        print(f"{name} {table} {len(frame)} {h.hexdigest()[:16]}", flush=True)

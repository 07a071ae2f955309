"""Training the learned signal model (``learned.Model``) on labelled posts; a developer tool.

Run: uv run python -m oppscout.core.analysis.training [--write]
It reads the labels in tests/data/ and the 2013 posts in ../shared, embeds the posts of the
tuning splits only (never a ``holdout*`` split), fits one regression per decisive category with
scikit-learn, prints the cross-validated precision and recall on those tuning posts, picks the
cutoff, and with ``--write`` replaces the shipped weights. Training is deterministic: same
labels, same weights.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from oppscout.core.analysis.detector import embed, post_features
from oppscout.core.analysis.learned import CATEGORIES, WEIGHTS_FILE, CategoryModel, Model

ROOT = Path(__file__).resolve().parents[3]
LABELS = ROOT / "tests" / "data" / "labels-top-posts-2013.jsonl"
POSTS = ROOT.parent / "shared" / "data" / "reddit" / "top-posts-2013" / "data"
# Splits the model may learn from; every ``holdout*`` split is only ever measured.
TUNING = ("tune", "tune2", "tune3", "tune4", "tune5", "tune6")
# One L2 penalty (C = 1) for every weight; how much each kind of input may say is set by scaling
# it instead: the embedding up (its 384 weights may grow large), words down (each is seen in few
# posts, so it must not say much alone). Both chosen by cross-validation on the tuning splits.
EMBEDDING_SCALE = 2.0
WORD_SCALE = 0.15
# A word must appear in this many training posts to get a weight: rarer ones are memorised, not learned.
MIN_POSTS = 3
# The cutoff balances cross-validated precision and recall against these: a post shown to a user
# as a signal should be one at least four times in five, and seven signals in ten should be found.
TARGET_PRECISION = 0.80
TARGET_RECALL = 0.70
CUTOFFS = tuple(round(0.2 + 0.01 * i, 2) for i in range(51))
FOLDS = 5
Floats = npt.NDArray[np.float64]


class Inputs:
    """The regression's inputs for a set of posts: scaled embedding, then the named features."""

    def __init__(self, rows: Sequence[dict[str, float]], vectors: Sequence[npt.NDArray[np.float32]]) -> None:
        counts: dict[str, int] = {}
        for row in rows:
            for name in row:
                counts[name] = counts.get(name, 0) + 1
        kept = [{n: v for n, v in row.items() if n.startswith("r:") or counts[n] >= MIN_POSTS} for row in rows]
        self.vectorizer = DictVectorizer()
        named = self.vectorizer.fit_transform(kept)
        self.names: list[str] = list(self.vectorizer.get_feature_names_out())
        self.scale = np.array([1.0 if n.startswith("r:") else WORD_SCALE for n in self.names])
        self.dim = len(vectors[0])
        self.matrix = sp.hstack(
            [sp.csr_matrix(EMBEDDING_SCALE * np.asarray(vectors)), named @ sp.diags(self.scale)]
        ).tocsr()

    def category_model(self, fitted: LogisticRegression) -> CategoryModel:
        """The fitted regression in the shipped form: scales folded into the weights, so none is needed at run time."""
        w = fitted.coef_[0]
        return CategoryModel(
            bias=float(fitted.intercept_[0]),
            embedding=tuple(float(v) * EMBEDDING_SCALE for v in w[: self.dim]),
            weights={n: float(w[self.dim + i] * self.scale[i]) for i, n in enumerate(self.names)},
        )


def fit(x: sp.csr_matrix, y: npt.NDArray[np.bool_]) -> LogisticRegression:
    """One category's L2-regularised logistic regression."""
    return LogisticRegression(C=1.0, max_iter=5000).fit(x, y)


def out_of_fold(x: sp.csr_matrix, targets: Sequence[npt.NDArray[np.bool_]]) -> Floats:
    """Each post's signal probability (noisy-OR of its categories) from models trained on the other folds."""
    probabilities = np.zeros(x.shape[0])
    for fold in range(FOLDS):
        # Folds by position in the label file, fixed, so a rerun gives the same figures.
        train = np.array([i for i in range(x.shape[0]) if i % FOLDS != fold])
        test = np.arange(fold, x.shape[0], FOLDS)
        miss = np.ones(len(test))
        for y in targets:
            miss *= 1.0 - fit(x[train], y[train]).predict_proba(x[test])[:, 1]
        probabilities[test] = 1.0 - miss
    return probabilities


def precision_recall(predicted: Sequence[bool], truth: Sequence[bool]) -> tuple[float, float]:
    """Precision and recall of ``predicted`` against ``truth``."""
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def choose_cutoff(probabilities: Sequence[float], truth: Sequence[bool]) -> float:
    """The cutoff whose precision and recall fall least short of the targets (the larger smaller ratio)."""
    scored = []
    for cutoff in CUTOFFS:
        p, r = precision_recall([q >= cutoff for q in probabilities], truth)
        scored.append((min(p / TARGET_PRECISION, r / TARGET_RECALL), cutoff))
    return max(scored)[1]


def load(splits: Sequence[str]) -> tuple[list[tuple[str, str]], list[dict[str, object]]]:
    """Title and body of the labelled posts in ``splits``, and their labels, in label-file order."""
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    chosen = [label for label in labels if label["split"] in splits]
    csv.field_size_limit(1 << 30)
    texts: dict[str, tuple[str, str]] = {}
    for sub in sorted({label["subreddit"] for label in chosen}):
        with (POSTS / f"{sub}.csv").open(encoding="utf-8", errors="replace", newline="") as f:
            texts.update({r["id"]: (r["title"], r["selftext"]) for r in csv.DictReader(f)})
    return [texts[label["id"]] for label in chosen], chosen


def main() -> None:
    """Cross-validate on the tuning splits, print the figures, pick the cutoff, optionally write the weights."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help=f"replace {WEIGHTS_FILE.name}")
    args = parser.parse_args()
    posts, labels = load(TUNING)
    inputs = Inputs([post_features(title, body) for title, body in posts], embed(posts))
    truth = [bool(label["signal"]) for label in labels]
    targets = [
        np.array([bool(label["signal"]) and kind.value in label["categories"] for label in labels])  # type: ignore[operator]
        for kind in CATEGORIES
    ]
    probabilities = out_of_fold(inputs.matrix, targets)
    for cutoff in CUTOFFS[::5]:
        p, r = precision_recall([q >= cutoff for q in probabilities], truth)
        print(f"cross-validated, cutoff {cutoff:.2f}: {len(truth)} tuning posts, precision {p:.3f}, recall {r:.3f}")
    cutoff = choose_cutoff(list(probabilities), truth)
    p, r = precision_recall([q >= cutoff for q in probabilities], truth)
    print(f"chosen cutoff {cutoff:.2f}: cross-validated precision {p:.3f}, recall {r:.3f}")
    if args.write:
        categories = {
            kind.value: inputs.category_model(fit(inputs.matrix, y))
            for kind, y in zip(CATEGORIES, targets, strict=True)
        }
        WEIGHTS_FILE.write_text(Model(categories=categories, cutoff=cutoff).to_json(), encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE}")


if __name__ == "__main__":
    main()

"""Training the learned signal model (``learned.Model``) on labelled posts; a developer tool.

Run: uv run python -m oppscout.core.analysis.training [--write] [--no-search]
It reads the labels in tests/data/ and the 2013 posts in ../shared, trains on the tuning splits
only (never ``holdout``), prints the cross-validated precision and recall on those tuning posts,
and with ``--write`` replaces the shipped weights. Training is deterministic: same labels, same
weights.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from oppscout.core.analysis.detector import post_features
from oppscout.core.analysis.learned import WEIGHTS_FILE, Model

ROOT = Path(__file__).resolve().parents[3]
LABELS = ROOT / "tests" / "data" / "labels-top-posts-2013.jsonl"
POSTS = ROOT.parent / "shared" / "data" / "reddit" / "top-posts-2013" / "data"
# Splits the model may learn from; ``holdout`` is only ever measured.
TUNING = ("tune", "tune2", "tune3", "tune4")
# A word must appear in this many training posts to get a weight: rarer ones are memorised, not learned.
MIN_POSTS = 3
# L2 penalty; chosen by cross-validation on the tuning splits (see ``main``).
PENALTY = 1.0
# Penalty on each word's weight: words are many and each is seen in few posts, so they are
# shrunk harder than the rule features and word groups.
WORD_PENALTY = 30.0
# Out-of-fold probability the decision is placed at; chosen by the same cross-validation.
CUTOFF = 0.4
FOLDS = 5
Matrix = npt.NDArray[np.float64]


def fit(
    rows: Sequence[dict[str, float]], truth: Sequence[bool], *, penalty: float = PENALTY, words: float = WORD_PENALTY
) -> Model:
    """L2-regularised logistic regression by Newton's method on the dense feature matrix."""
    counts: dict[str, int] = {}
    for row in rows:
        for name in row:
            counts[name] = counts.get(name, 0) + 1
    # Rule features always count; words only when common enough to generalise.
    names = sorted(n for n, c in counts.items() if c >= MIN_POSTS or n.startswith("r:"))
    index = {n: i for i, n in enumerate(names)}
    x = np.zeros((len(rows), len(names) + 1))
    x[:, -1] = 1.0
    for r, row in enumerate(rows):
        for name, value in row.items():
            if name in index:
                x[r, index[name]] = value
    y = np.asarray(truth, dtype=np.float64)
    w = np.zeros(x.shape[1])
    ridge = np.array([penalty if n.startswith("r:") else words for n in names] + [0.0])
    for _ in range(25):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + ridge * w
        hessian = (x.T * (p * (1 - p))) @ x + np.diag(ridge) + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.max(np.abs(step))) < 1e-7:
            break
    return Model(bias=float(w[-1]), weights={n: float(w[i]) for n, i in index.items()})


def shifted(model: Model, cutoff: float) -> Model:
    """The same model with its bias moved so that ``cutoff`` becomes probability 0.5."""
    return Model(bias=model.bias - float(np.log(cutoff / (1 - cutoff))), weights=model.weights)


def out_of_fold(rows: Sequence[dict[str, float]], truth: Sequence[bool], penalty: float, words: float) -> list[float]:
    """Each post's probability from a model trained on the other folds (folds by position, fixed)."""
    probabilities = [0.0] * len(rows)
    for fold in range(FOLDS):
        train = [i for i in range(len(rows)) if i % FOLDS != fold]
        model = fit([rows[i] for i in train], [truth[i] for i in train], penalty=penalty, words=words)
        for i in range(fold, len(rows), FOLDS):
            probabilities[i] = model.probability(rows[i])
    return probabilities


def precision_recall(predicted: Sequence[bool], truth: Sequence[bool]) -> tuple[float, float]:
    """Precision and recall of ``predicted`` against ``truth``."""
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def load(splits: Sequence[str]) -> tuple[list[tuple[str, str]], list[bool], list[str]]:
    """Title and body of the labelled posts in ``splits``, their labels and splits, in label-file order."""
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    chosen = [label for label in labels if label["split"] in splits]
    csv.field_size_limit(1 << 30)
    texts: dict[str, tuple[str, str]] = {}
    for sub in sorted({label["subreddit"] for label in chosen}):
        with (POSTS / f"{sub}.csv").open(encoding="utf-8", errors="replace", newline="") as f:
            texts.update({r["id"]: (r["title"], r["selftext"]) for r in csv.DictReader(f)})
    return (
        [texts[label["id"]] for label in chosen],
        [bool(label["signal"]) for label in chosen],
        [str(label["split"]) for label in chosen],
    )


def main() -> None:
    """Cross-validate on the tuning splits, print the figures, and optionally write the weights."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help=f"replace {WEIGHTS_FILE.name}")
    parser.add_argument("--no-search", action="store_true", help="skip the cross-validated search (minutes)")
    args = parser.parse_args()
    posts, truth, splits = load(TUNING)
    rows = [post_features(title, body) for title, body in posts]
    # The newest round: no pattern was written while looking at it, so its out-of-fold figure is the
    # least flattered by the rules.
    fresh = [i for i, split in enumerate(splits) if split == TUNING[-1]]
    for penalty, words in (
        () if args.no_search else ((1.0, 1e6), (3.0, 1e6), (1.0, 10.0), (1.0, 30.0), (3.0, 30.0), (0.3, 30.0))
    ):
        probabilities = out_of_fold(rows, truth, penalty, words)
        for cutoff in (0.3, 0.4, 0.5, 0.6):
            p, r = precision_recall([q >= cutoff for q in probabilities], truth)
            p3, r3 = precision_recall([probabilities[i] >= cutoff for i in fresh], [truth[i] for i in fresh])
            print(
                f"cross-validated, penalty {penalty}/{words}, cutoff {cutoff}: {len(rows)} tuning posts "
                f"P {p:.3f} R {r:.3f}; of them {TUNING[-1]} P {p3:.3f} R {r3:.3f}"
            )
    if args.write:
        model = shifted(fit(rows, truth), CUTOFF)
        WEIGHTS_FILE.write_text(model.to_json(), encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE} ({len(model.weights)} weights)")


if __name__ == "__main__":
    main()

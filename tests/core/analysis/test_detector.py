"""The per-item detector: behaviour a user of ``oppscout signals`` relies on, and its quality on real labels."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from oppscout.core.analysis.detector import classify, classify_many
from oppscout.core.analysis.training import TUNING

LABELS = Path(__file__).resolve().parents[2] / "data" / "labels-top-posts-2013.jsonl"


def test_a_plain_complaint_with_a_tool_request_is_a_signal() -> None:
    verdict = classify(
        "Clients never pay on time",
        "I spend hours chasing invoices every month. Is there a tool that sends reminders for me? I'd pay for it.",
    )
    assert verdict.pain
    assert {"pain", "solution_request", "money"} <= set(verdict.categories)
    assert 0.5 < verdict.score <= 1


def test_an_advice_question_alone_is_not_a_signal() -> None:
    verdict = classify("Starting a food truck", "How do I get a permit in Ohio? Any tips?")
    assert not verdict.pain
    assert verdict.categories == ["advice_request"]
    assert verdict.score < 0.5


def test_a_post_about_nothing_a_product_could_solve_is_not_a_signal() -> None:
    verdict = classify("Our offsite photos", "Here are some pictures from last week's team trip to the coast.")
    assert not verdict.pain
    assert verdict.categories == []
    assert verdict.score < 0.5


def test_every_signal_names_what_made_it_one(shared_dir: Path) -> None:
    # A user reading `oppscout signals` output must see why a post counts: a decisive category.
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()][:120]
    texts = _texts(shared_dir, labels)
    verdicts = classify_many([texts[label["id"]] for label in labels])
    decisive = {"pain", "solution_request", "money", "switching", "workaround"}
    assert sum(v.pain for v in verdicts) >= 20
    assert all(decisive & set(v.categories) for v in verdicts if v.pain)
    assert all(not decisive & set(v.categories) for v in verdicts if not v.pain)


def test_many_items_get_the_verdicts_they_get_one_by_one() -> None:
    items = [
        ("Clients never pay on time", "Is there a tool that chases them?"),
        ("Our offsite photos", "Pictures from the team trip."),
        ("", "I'm actually not terrible at web design."),
    ]
    together = classify_many(items)
    alone = [classify(title, body) for title, body in items]
    assert [(v.pain, v.categories) for v in together] == [(v.pain, v.categories) for v in alone]
    # Batches are padded to their longest text; padding must not change a score beyond rounding.
    assert all(abs(a.score - b.score) <= 0.002 for a, b in zip(together, alone, strict=True))


def test_a_terse_request_for_a_thing_is_a_signal() -> None:
    smt = classify("SMT: An app that reminds me to water my plants", "")
    assert smt.pain and smt.categories == ["solution_request"]
    leaving = classify("Alternative to WOW Analytics", "We trialled it and need something else for IP lookups.")
    assert leaving.pain and "switching" in leaving.categories


def test_the_score_is_above_one_half_exactly_for_signals() -> None:
    for title, body in [
        ("Clients never pay on time", "I spend hours chasing invoices. Is there a tool for reminders?"),
        ("Starting a food truck", "How do I get a permit in Ohio? Any tips?"),
        ("We hit $10k MRR!", "Thanks everyone, it was a great year."),
    ]:
        verdict = classify(title, body)
        assert verdict.pain == (verdict.score >= 0.5)


def test_someone_elses_feelings_and_negated_pain_are_not_the_writers_pain() -> None:
    assert not classify("", "The users will hate the new layout, he said.").pain
    assert not classify("", "I'm actually not terrible at web design.").pain


def test_a_success_story_is_not_a_signal() -> None:
    assert not classify("We hit $10k MRR!", "Thanks everyone, it was a great year and we learned a lot.").pain


def _texts(shared: Path, labels: list[dict[str, object]]) -> dict[str, tuple[str, str]]:
    csv.field_size_limit(1 << 30)
    wanted: dict[str, set[str]] = {}
    for label in labels:
        wanted.setdefault(str(label["subreddit"]), set()).add(str(label["id"]))
    texts: dict[str, tuple[str, str]] = {}
    for sub, ids in wanted.items():
        path = shared / "data" / "reddit" / "top-posts-2013" / "data" / f"{sub}.csv"
        with path.open(encoding="utf-8", errors="replace", newline="") as f:
            for row in csv.DictReader(f):
                if row["id"] in ids:
                    texts[row["id"]] = (row["title"], row["selftext"])
    return texts


def test_the_model_never_trains_on_a_held_out_split() -> None:
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    held_out = {label["split"] for label in labels if label["split"].startswith("holdout")}
    assert held_out == {"holdout", "holdout2", "holdout3"}
    assert not held_out & set(TUNING)
    assert set(TUNING) <= {label["split"] for label in labels}


def test_quality_on_the_held_out_labels(shared_dir: Path) -> None:
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    # The three held-out sets: labelled by the rubric, never trained or tuned on.
    held_out = [label for label in labels if label["split"].startswith("holdout")]
    assert len(held_out) == 600
    texts = _texts(shared_dir, held_out)
    verdicts = classify_many([texts[label["id"]] for label in held_out])
    tp = fp = fn = 0
    for label, verdict in zip(held_out, verdicts, strict=True):
        tp += verdict.pain and label["signal"]
        fp += verdict.pain and not label["signal"]
        fn += (not verdict.pain) and label["signal"]
    # The target; docs/benchmarks.md has the measured figures (0.812 / 0.734).
    assert tp / (tp + fp) >= 0.80
    assert tp / (tp + fn) >= 0.70

"""Hotwords: the prompt that steers Whisper toward the workspace's subreddits and topics.

Whisper writes "r slash smallbusiness" as "our sash small business" unless the prompt shows it how such
requests look. The prompt names the subreddits and topics used before in the workspace, then shows one
request of each kind in the words people say ("r slash", "alert me when … scores above", "budget $2").
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_SUBREDDITS = 12
MAX_TOPICS = 8
# Chosen by trying several on the shared voice notes: with this one tiny.en keeps "about X" and "for X"
# apart from the names before them (others gave "I'm out invoicing", "SaaS fortune").
EXAMPLE_REQUESTS = (
    "What are people struggling with in r slash smallbusiness about pricing, last two weeks, budget $2? "
    "Watch r slash startups for hiring and alert me when an opportunity scores above 80."
)


def build_prompt(hotwords: Sequence[str]) -> str:
    """The initial prompt for Whisper. Hotwords starting with ``r/`` are subreddits; the rest are topics."""
    subreddits = list(dict.fromkeys(h[2:] for h in hotwords if h.lower().startswith("r/")))[:MAX_SUBREDDITS]
    topics = list(dict.fromkeys(h for h in hotwords if not h.lower().startswith("r/") and h.strip()))[:MAX_TOPICS]
    parts = []
    if subreddits:
        parts.append("Subreddits: " + ", ".join(f"r slash {s}" for s in subreddits) + ".")
    if topics:
        parts.append("Topics: " + ", ".join(topics) + ".")
    parts.append(EXAMPLE_REQUESTS)
    return " ".join(parts)

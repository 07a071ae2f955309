"""Voice: word error rate of the bundled tiny.en on the shared spoken notes, for a workspace with no history,
with the prompt as it was (common subreddits only) and as it is (plus product-research words).

References are what the notes say. Words are compared lower-case without punctuation; "r/" counts as
"r slash", so only what was heard differently counts as an error.

Run: uv run python -m bench.bench_voice_wer
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from oppscout.core.conversation.vocabulary import DEFAULT_SUBREDDITS, WorkspaceVocabulary
from oppscout.core.settings import Settings
from oppscout.voice.transcriber import WhisperTranscriber

VOICE = Path(__file__).resolve().parents[2] / "shared" / "data" / "voice"
REFERENCES = {
    "scan_smallbusiness_freelance.ogg": (
        "What are people struggling with in r slash smallbusiness and r slash freelance about invoicing over the "
        "last two weeks, budget $2?"
    ),
    "watch_saas_churn.m4a": "Watch r slash SaaS for churn and alert me when an opportunity scores above 70.",
    "status_question.ogg": "How is my last analysis going?",
    "jfk.flac": "And so my fellow Americans, ask not what your country can do for you, ask what you can do for "
    "your country.",
}


def words(text: str) -> list[str]:
    """Lower-case words without punctuation; "r/" written out as "r slash"."""
    return re.sub(r"[^\w$ ]", " ", text.lower().replace("r/", "r slash ")).split()


def edit_distance(a: list[str], b: list[str]) -> int:
    """Word-level Levenshtein distance (substitutions, insertions, deletions)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def word_error_rate(transcriber: WhisperTranscriber, hotwords: list[str]) -> tuple[float, dict[str, str]]:
    """Errors over reference words across every note, and what was heard in each."""
    errors = total = 0
    heard: dict[str, str] = {}
    for name, reference in REFERENCES.items():
        text = transcriber.transcribe_sync((VOICE / name).read_bytes(), hotwords).text
        heard[name] = text
        errors += edit_distance(words(reference), words(text))
        total += len(words(reference))
    return errors / total, heard


def main() -> None:
    if not VOICE.is_dir():
        sys.exit(f"needs the shared voice notes in {VOICE}")
    with tempfile.TemporaryDirectory() as tmp:
        transcriber = WhisperTranscriber(Settings(data_dir=Path(tmp), _env_file=None))
        for label, hotwords in (
            ("before (common subreddits only)", [f"r/{n}" for n in DEFAULT_SUBREDDITS]),
            ("after (plus product-research words)", WorkspaceVocabulary().hotwords()),
        ):
            rate, heard = word_error_rate(transcriber, hotwords)
            print(f"{label}: WER {rate:.1%}")
            for name, text in heard.items():
                print(f"  {name}: {text}")
        transcriber.close()


if __name__ == "__main__":
    main()

"""Alert decisions of a watch run: which opportunities cross the threshold, which themes grow sharply.

Pure functions over the results of two consecutive windows, so they can be tested on prepared data.
A theme is identified across runs by its key (its normalised title) or, when the engine names it
a little differently, by sharing at least half of its key phrases with a theme of the previous window.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from oppscout.core.contract import Opportunity, OpportunityResults
from oppscout.core.wording import plural

THRESHOLD = "threshold"
GROWTH = "growth"
MAX_ALERTS_PER_MESSAGE = 5


def theme_key(title: str) -> str:
    """A theme's identity: its title in lower case, words only."""
    return " ".join(re.findall(r"[a-z0-9]+", title.lower()))[:200]


@dataclass(frozen=True)
class Theme:
    """What a run remembers about one opportunity, to compare with the next window."""

    key: str
    title: str
    score: int
    mentions: int
    phrases: tuple[str, ...] = ()

    @classmethod
    def of(cls, opportunity: Opportunity) -> Theme:
        """The theme of an opportunity."""
        return cls(
            theme_key(opportunity.title),
            opportunity.title,
            opportunity.score,
            opportunity.mentions,
            tuple(p.lower() for p in opportunity.key_phrases),
        )

    def as_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"key": self.key, "title": self.title, "score": self.score, "mentions": self.mentions,
                "phrases": list(self.phrases)}  # fmt: skip

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Theme:
        """Read the stored form back."""
        return cls(str(raw["key"]), str(raw["title"]), int(raw["score"]), int(raw["mentions"]),
                   tuple(raw.get("phrases", ())))  # fmt: skip

    def same_as(self, other: Theme) -> bool:
        """Whether two themes of different windows are the same theme."""
        if self.key == other.key:
            return True
        if not self.phrases or not other.phrases:
            return False
        shared = set(self.phrases) & set(other.phrases)
        return len(shared) * 2 >= min(len(self.phrases), len(other.phrases))


def themes_of(results: OpportunityResults | None) -> list[Theme]:
    """The themes of a run's results (none when the run produced no results)."""
    return [Theme.of(o) for o in results.opportunities] if results else []


@dataclass(frozen=True)
class Alert:
    """One opportunity worth telling the owner about, and why."""

    opportunity: Opportunity
    theme: Theme
    kinds: tuple[str, ...]
    previous_mentions: int | None = None
    growth: float | None = None


def decide(
    results: OpportunityResults | None,
    *,
    threshold: int,
    window_days: float,
    previous: Sequence[Theme] | None,
    previous_days: float | None,
    growth_factor: float,
    growth_min_mentions: int,
    cooling_down: Collection[str] = (),
) -> list[Alert]:
    """Alerts for one run, best first.

    An opportunity alerts when its score is at or above ``threshold``, or when its theme's mentions
    per day reached ``growth_factor`` times those of the previous window (with at least
    ``growth_min_mentions`` mentions now, so three posts instead of one do not count as a trend).
    Growth needs a previous window to compare with. Themes in ``cooling_down`` never alert.
    """
    alerts: list[Alert] = []
    if results is None:
        return alerts
    for opportunity in results.opportunities:
        theme = Theme.of(opportunity)
        if theme.key in cooling_down:
            continue
        kinds: list[str] = []
        if opportunity.score >= threshold:
            kinds.append(THRESHOLD)
        before: int | None = None
        ratio: float | None = None
        if previous is not None and previous_days and window_days > 0 and theme.mentions >= growth_min_mentions:
            match = next((p for p in previous if theme.same_as(p)), None)
            before = match.mentions if match else 0
            rate_now, rate_before = theme.mentions / window_days, before / previous_days
            if rate_now >= growth_factor * rate_before:
                kinds.append(GROWTH)
                ratio = rate_now / rate_before if rate_before else None
        if kinds:
            alerts.append(Alert(opportunity, theme, tuple(kinds), before, ratio))
    alerts.sort(key=lambda a: (-a.opportunity.score, -a.theme.mentions))
    return alerts


def alert_text(title: str, alerts: Sequence[Alert], *, threshold: int, watch_id: int) -> str:
    """One DM for all the alerts of a run (so a catch-up run never sends a storm of messages)."""
    shown = alerts[:MAX_ALERTS_PER_MESSAGE]
    # The first line is also an email's subject: it names the watch and its strongest opportunity.
    top = max(alerts, key=lambda a: a.opportunity.score).opportunity
    lines = [
        f"🔔 Watch #{watch_id} ({title}): {top.title} (score {top.score}) · {plural(len(alerts), 'opportunity')} worth a look"
    ]
    for alert in shown:
        o = alert.opportunity
        why: list[str] = []
        if THRESHOLD in alert.kinds:
            why.append(f"score {o.score} ≥ your threshold {threshold}")
        if GROWTH in alert.kinds:
            if alert.growth is not None:
                why.append(
                    f"mentions up {alert.growth:.1f}× per day ({o.mentions} now, {alert.previous_mentions} before)"
                )
            else:
                why.append(f"new and growing fast ({plural(o.mentions, 'mention')}, none in the previous window)")
        lines.append(f"• {o.title} (score {o.score}): {'; '.join(why)}")
        if o.problem:
            lines.append(f"  {o.problem}")
        if o.quotes:
            q = o.quotes[0]
            lines.append(f"  “{q.text}” — r/{q.subreddit} {q.permalink}")
    if len(alerts) > len(shown):
        lines.append(f"…and {len(alerts) - len(shown):,} more in the full results.")
    lines.append(f"(Say “pause watch {watch_id}” to stop these for a while.)")
    return "\n".join(lines)


def baseline_text(title: str, watch_id: int, results: OpportunityResults | None, *, threshold: int, days: float) -> str:
    """What a new watch found on its first run: where things stand, and what it will alert on from now."""
    span = f"the last {plural(round(days), 'day')}" if round(days) > 1 else "the last day"
    head = f"👀 Watch #{watch_id} ({title}) is on."
    then = f"From now on I'll tell you when an opportunity reaches {threshold} or grows sharply."
    if results is None:
        return f"{head} Its first look at {span} did not finish; the next run will try again. {then}"
    found = sorted(results.opportunities, key=lambda o: o.score, reverse=True)
    if not found:
        return f"{head} Over {span} nothing stood out yet. {then}"
    lines = [f"{head} Over {span}: {plural(len(found), 'opportunity')}; where things stand:"]
    lines += [f"• {o.title} (score {o.score}, {plural(o.mentions, 'mention')})" for o in found[:3]]
    lines.append(then)
    return "\n".join(lines)


def summary_text(analysis_id: str, results: OpportunityResults, subreddits: Sequence[str]) -> str:
    """The final summary of an analysis as plain text, for email."""
    subs = ", ".join(f"r/{s}" for s in subreddits)
    lines = [
        f"Your analysis of {subs} is done: {plural(len(results.opportunities), 'opportunity')} (id {analysis_id})."
    ]
    for rank, o in enumerate(results.opportunities[:10], 1):
        lines.append(f"{rank}. {o.title} (score {o.score}, {plural(o.mentions, 'mention')})")
        if o.problem:
            lines.append(f"   {o.problem}")
        for q in o.quotes[:2]:
            lines.append(f"   “{q.text}” — {q.permalink}")
    return "\n".join(lines)

"""The summary as Discord embeds always fits Discord's limits, and says what did not fit."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from oppscout.bot.render.embeds import (
    MAX_DESCRIPTION,
    MAX_EMBEDS,
    MAX_FIELD_NAME,
    MAX_FIELD_VALUE,
    MAX_FIELDS,
    MAX_TITLE,
    MAX_TOTAL_CHARS,
    embed_chars,
    shown_opportunities,
    summary_embeds,
)
from oppscout.core.contract import CostBreakdown, Coverage, Opportunity, OpportunityResults, Quote


def opportunity(n: int, size: int) -> Opportunity:
    return Opportunity(
        title=f"Opportunity {n} " + "t" * size,
        problem="People keep losing invoices. " * (size // 10 + 1),
        score=90 - n,
        key_phrases=[f"phrase {i}" for i in range(20)],
        mentions=12,
        distinct_authors=7,
        subreddits=["smallbusiness"],
        quotes=[
            Quote(
                text="I chase late invoices every week " * (size // 20 + 1),
                permalink=f"https://www.reddit.com/r/smallbusiness/comments/abc{n}/x/",
                author="owner",
                subreddit="smallbusiness",
            )
        ],
        product_idea="An invoice chaser " * (size // 10 + 1),
    )


def results(count: int, size: int) -> OpportunityResults:
    return OpportunityResults(
        opportunities=[opportunity(n, size) for n in range(1, count + 1)],
        coverage=Coverage(posts=120, comments=480, subreddits=["smallbusiness", "freelance"]),
        notes=["Note " * size],
    )


@settings(max_examples=40, deadline=None)
@given(count=st.integers(min_value=0, max_value=30), size=st.integers(min_value=0, max_value=3000))
def test_summary_embeds_always_fit_discords_limits(count: int, size: int) -> None:
    embeds = summary_embeds(results(count, size), CostBreakdown(budget=Decimal("2")), analysis_id="a" * 32)
    assert 1 <= len(embeds) <= MAX_EMBEDS
    assert sum(embed_chars(e) for e in embeds) <= MAX_TOTAL_CHARS
    for embed in embeds:
        assert len(embed.get("title", "")) <= MAX_TITLE
        assert len(embed.get("description", "")) <= MAX_DESCRIPTION
        assert len(embed.get("fields", [])) <= MAX_FIELDS
        for field in embed.get("fields", []):
            assert 0 < len(field["name"]) <= MAX_FIELD_NAME
            assert 0 < len(field["value"]) <= MAX_FIELD_VALUE
    hidden = count - shown_opportunities(embeds)
    if hidden:
        assert f"{hidden} more in the attached report." in embeds[0]["description"]
    else:
        assert "more in the attached report" not in embeds[0]["description"]


def test_each_opportunity_keeps_its_permalink_even_when_the_quote_is_cut() -> None:
    embeds = summary_embeds(results(3, 2000), CostBreakdown(), analysis_id="a" * 32)
    for n, embed in enumerate(embeds[1:], 1):
        evidence = embed["fields"][0]["value"]
        assert f"https://www.reddit.com/r/smallbusiness/comments/abc{n}/x/" in evidence
        assert embed["title"].startswith(f"#{n} · Opportunity {n}")


def test_a_summary_without_opportunities_says_so() -> None:
    embeds = summary_embeds(results(0, 0), CostBreakdown(), analysis_id="a" * 32)
    assert len(embeds) == 1
    assert embeds[0]["title"].startswith("No opportunities found in")  # not "Top opportunities in …"
    assert "Nothing in that window stood out" in embeds[0]["description"]
    assert "Read 120 posts and 480 comments" in embeds[0]["description"]

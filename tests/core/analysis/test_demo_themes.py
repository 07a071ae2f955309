"""The local engine on the shipped demo data: the themes a user sees first must be right and well named."""

from __future__ import annotations

from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.contract import OpportunityResults
from oppscout.core.corpus import RedditItem
from oppscout.jobs.sources.demo import DemoSource
from tests.core.analysis.builders import NOW, request

SUBS = ["smallbusiness", "freelance", "Accounting", "SaaS", "Entrepreneur", "startups"]


async def _progress(done: int, expected: int, message: str | None = None) -> None:
    return None


async def _demo() -> tuple[list[RedditItem], OpportunityResults]:
    source = DemoSource(now=NOW)
    req = request(SUBS)
    posts = (await source.fetch_posts(req, _progress)).posts
    comments = (await source.fetch_comments(posts, 60, _progress)).comments
    items = posts + comments
    return items, await LocalEngine().analyze(items, req)


async def test_flagship_themes_lead_and_are_named_by_their_subject() -> None:
    _, results = await _demo()
    top = results.opportunities[:5]
    late = [o for o in top if "late payment" in o.title.lower() or "invoice" in o.title.lower()]
    assert late, [o.title for o in top]
    assert {"smallbusiness", "freelance", "Entrepreneur"} <= set(late[0].subreddits)
    # Themes by meaning fold invoicing talk into fewer, bigger themes; failed cards still make the top 10.
    churn = [o for o in results.opportunities if "failed payment" in o.title.lower()]
    assert churn, [o.title for o in top]
    saas_quotes = [q for q in churn[0].quotes if q.subreddit == "SaaS"]
    assert len(saas_quotes) >= len(churn[0].quotes) - 1


async def test_titles_are_distinct_and_free_of_filler() -> None:
    _, results = await _demo()
    titles = [o.title.lower() for o in results.opportunities]
    assert len(set(titles)) == len(titles)
    for title in titles[:5]:
        for filler in ("worst part", "drives", "nuts", "question", "untitled"):
            assert filler not in title, title


async def test_quotes_are_verbatim_with_the_permalink_of_their_item() -> None:
    items, results = await _demo()
    by_link = {i.permalink: i for i in items}
    for opp in results.opportunities:
        assert 1 <= len(opp.quotes) <= 5
        assert len({q.author for q in opp.quotes}) == len(opp.quotes)
        for quote in opp.quotes:
            assert quote.text in by_link[quote.permalink].text


async def test_scores_spread_and_explain_themselves() -> None:
    _, results = await _demo()
    scores = [o.score for o in results.opportunities]
    assert scores == sorted(scores, reverse=True)
    # Themes by meaning are fewer and bigger than word-grouped ones, so the top ten sit closer.
    assert scores[0] - scores[-1] >= 12, scores
    for opp in results.opportunities:
        assert set(opp.score_breakdown) == {
            "people",
            "engagement",
            "intensity",
            "willingness_to_pay",
            "trend",
            "solution_gap",
        }
        assert abs(sum(opp.score_breakdown.values()) - opp.score) <= 1


async def test_the_demo_top_ten_name_the_problems_the_data_set_is_about() -> None:
    _, results = await _demo()
    titles = " | ".join(o.title.lower() for o in results.opportunities)
    expected = {
        "late invoice payments": ("late payment", "invoice", "chasing"),
        "failed card payments": ("failed payment", "card"),
        "appointment no-shows": ("no-show",),
        "quarterly estimated taxes": ("estimated tax",),
        "payment processor holds": ("stripe froze", "payout", "holding"),
    }
    found = [name for name, words in expected.items() if any(w in titles for w in words)]
    assert len(found) >= 2, titles

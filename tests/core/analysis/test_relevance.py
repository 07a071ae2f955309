"""Keywords select items by word form and by meaning, and the results say how many matched."""

from __future__ import annotations

from oppscout.core.analysis.engine import local_analysis
from oppscout.core.analysis.relevance import lexical_match, lucene_query, select, word_variants
from oppscout.core.contract import AnalysisRequest
from oppscout.jobs.sources.demo import DemoSource
from tests.core.analysis.builders import NOW, comment, post, request


def test_invoicing_finds_every_form_of_invoice() -> None:
    assert {"invoice", "invoices", "invoiced", "invoicing"} <= set(word_variants("invoicing"))
    for text in ("Sent 14 invoices today", "the invoice bounced", "I invoiced them in May"):
        assert lexical_match(text, ["invoicing"]), text
    assert not lexical_match("an invoicer's voice", ["voicemail"])


def test_late_payments_finds_clients_paying_me_late() -> None:
    assert lexical_match("clients paying me 60 days late", ["late payments"])
    assert not lexical_match("I pay my rent on time", ["late payments"])


def test_the_reddit_query_carries_the_variants_in_lucene_syntax() -> None:
    query = lucene_query(["invoicing", "late payments"])
    assert '"invoices"' in query and '"invoiced"' in query
    assert '("late"' in query and " AND " in query and '"paying"' in query
    # Quoting keeps a keyword's operators literal.
    assert lucene_query(['a "b" OR c']).count('"') % 2 == 0


def test_meaning_selects_a_post_that_shares_no_word_and_its_replies() -> None:
    items = [
        post("p1", "My customers take forever to settle their bills", "It is 90 days now."),
        comment("c1", "p1", "same here"),
        post("p2", "Best hiking boots for wide feet?"),
    ]
    chosen = select(items, ["late payments"])
    assert [i.reddit_id for i in chosen.items] == ["p1", "c1"]
    assert chosen.note.startswith("2 of 3 items (1 posts, 1 comments) matched “late payments”")


async def _noop(done: int, expected: int, message: str | None = None) -> None:
    return None


async def test_the_demo_about_invoicing_reads_every_invoice_post_and_says_how_many_matched() -> None:
    source = DemoSource(now=NOW)
    base = request(["smallbusiness", "freelance", "Accounting", "SaaS", "Entrepreneur", "startups"])
    keyed = AnalysisRequest.model_validate(
        base.model_dump(by_alias=True) | {"keywords": ["invoicing"]}, context={"now": NOW}
    )
    posts = (await source.fetch_posts(keyed, _noop)).posts
    assert len(posts) >= 10
    assert all(lexical_match(p.text, ["invoicing"]) for p in posts)
    results = local_analysis(posts, keyed).results
    assert any("matched “invoicing”" in n for n in results.notes)

"""A workspace's earlier analyses teach the bot its subreddit names and Whisper its hotwords."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from oppscout.core.contract import AnalysisRequest, TimeRange, utcnow
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.conversation.vocabulary import WorkspaceVocabulary, load_vocabulary
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.runtime import Runtime


async def analysed_before(runtime: Runtime, workspace: str, subreddits: list[str], keywords: list[str]) -> None:
    now = utcnow()
    request = AnalysisRequest(
        subreddits=subreddits,
        keywords=keywords,
        time_range=TimeRange(start=now - timedelta(days=7), end=now),
        max_cost=Decimal("1"),
    )
    await runtime.service.submit(request, thread=ThreadRef("slack", workspace, "C1", "t-old", "U1"))


async def test_spoken_names_resolve_to_the_workspaces_own_subreddits(runtime: Runtime) -> None:
    chat = ChatService(runtime.database, runtime.service, Dialog(runtime.settings))
    text = "scan our slash property management about tenants"
    fresh = await chat.handle(ThreadRef("slack", "T-new", "C1", "t1", "U1"), text)
    # A workspace that never used it still gets the real name, whole, from the shipped list of popular names
    # (never the nearest shorter guess, r/projectmanagement).
    assert fresh.messages[0].startswith("Starting: r/propertymanagement about tenants")

    guess = await chat.handle(ThreadRef("slack", "T-new", "C1", "t2", "U1"), "scan our slash property managment")
    # A near miss is a guess (here the name this workspace just used), and a guess is confirmed first.
    assert "(I took “property managment” to mean r/propertymanagement.)" in guess.messages[0]
    assert guess.submission is None

    await analysed_before(runtime, "T-landlords", ["PropertyManagement"], ["late rent"])
    known = await chat.handle(ThreadRef("slack", "T-landlords", "C1", "t1", "U1"), text)
    assert known.parsed is not None and known.parsed.subreddits == ["PropertyManagement"]
    assert known.messages[0].startswith("Starting: r/PropertyManagement about tenants")


async def test_hotwords_name_the_workspaces_subreddits_and_topics_first(runtime: Runtime) -> None:
    await analysed_before(runtime, "T-1", ["PropertyManagement", "realestate"], ["late rent"])
    await analysed_before(runtime, "T-other", ["cooking"], ["knives"])
    hotwords = (await load_vocabulary(runtime.database, "T-1")).hotwords()
    assert hotwords[:2] == ["r/realestate", "r/PropertyManagement"] or hotwords[:2] == [
        "r/PropertyManagement",
        "r/realestate",
    ]
    assert "r/cooking" not in hotwords and "knives" not in hotwords  # another workspace's words stay there
    assert len([h for h in hotwords if h.startswith("r/")]) == 6  # padded with common subreddits
    topics = [h for h in hotwords if not h.startswith("r/")]
    # The workspace's own topic first, then product-research words, so "churn" is heard in a new workspace too.
    assert topics[0] == "late rent" and "churn" in topics and len(topics) == 8


def test_a_new_workspace_still_gets_product_research_hotwords() -> None:
    hotwords = WorkspaceVocabulary().hotwords()
    assert {"churn", "invoicing", "onboarding", "pricing", "refunds"} <= set(hotwords)
    assert "r/SaaS" in hotwords

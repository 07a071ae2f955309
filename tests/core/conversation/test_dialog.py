"""The dialog through ChatService on a real database and queue: ask, answer, confirm, edit, cancel, run."""

from __future__ import annotations

from decimal import Decimal

from oppscout.core.contract import AnalysisStatus
from oppscout.core.conversation.chat import ChatOutcome, ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.runtime import Runtime

THREAD = ThreadRef("console", "team-1", "channel", "thread-1", "ana")


def chat(runtime: Runtime) -> ChatService:
    return ChatService(runtime.database, runtime.service, Dialog(runtime.settings))


async def say(runtime: Runtime, text: str, *, voice: bool = False, thread: ThreadRef = THREAD) -> ChatOutcome:
    # A fresh ChatService per message, as separate webhook deliveries: the state must live in the database.
    return await chat(runtime).handle(thread, text, voice=voice)


async def test_missing_subreddits_are_asked_for_then_confirmed_then_run(runtime: Runtime) -> None:
    first = await say(runtime, "what are people complaining about regarding invoicing? budget $3")
    assert first.messages == ["Which subreddits should I look at? For example: r/smallbusiness r/freelance"]
    assert first.submission is None

    second = await say(runtime, "smallbusiness and freelance")
    [confirmation] = second.messages
    assert confirmation.startswith("Here's what I understood: r/smallbusiness, r/freelance about invoicing")
    assert "budget $3" in confirmation
    assert "(You didn't say, so I used the last 7 days.)" in confirmation
    assert "Estimate: ~" in confirmation and "Reddit calls" in confirmation and "Run it?" in confirmation
    assert second.submission is None  # $3 is above the $1 auto-approve amount

    third = await say(runtime, "yes, run it")
    assert third.submission is not None and third.submission.queued
    response = await runtime.service.get(third.submission.analysis_id)
    assert response.status == AnalysisStatus.QUEUED
    assert response.metadata.subreddits == ["smallbusiness", "freelance"]
    stored = (await runtime.service.get(third.submission.analysis_id)).analysis_id
    assert stored == third.submission.analysis_id

    # The thread is idle again: a second "yes" starts nothing.
    assert (await say(runtime, "yes")).submission is None


async def test_small_typed_request_runs_at_once_and_states_the_defaults(runtime: Runtime) -> None:
    outcome = await say(runtime, "r/SaaS about churn")
    assert outcome.submission is not None and outcome.submission.queued
    [message] = outcome.messages
    assert message.startswith("Starting: r/SaaS about churn, last 7 days, budget $1")
    assert "(You didn't say, so I used the last 7 days and a $1.00 budget.)" in message


async def test_cancel_while_confirming_drops_the_request(runtime: Runtime) -> None:
    assert "Run it?" in (await say(runtime, "r/startups last 2 weeks $5")).messages[0]
    outcome = await say(runtime, "cancel")
    assert outcome.messages == ["OK, dropped it. Nothing was run or charged."]
    assert outcome.submission is None
    assert (await say(runtime, "yes")).submission is None
    async with runtime.database.unit_of_work() as session:
        from oppscout.core.db.repositories.analyses import AnalysisRepository

        assert list(await AnalysisRepository(session).list_recent()) == []


async def test_edit_while_confirming_changes_the_draft_and_asks_again(runtime: Runtime) -> None:
    await say(runtime, "r/startups about hiring last 2 weeks $5")
    edited = await say(runtime, "edit: budget $2 and last 30 days")
    [message] = edited.messages
    assert "r/startups about hiring, last 30 days, budget $2" in message and "Run it?" in message
    assert edited.submission is None  # an edit is confirmed again, even under the auto-approve amount
    done = await say(runtime, "go ahead")
    assert done.submission is not None
    request = (await runtime.service.get(done.submission.analysis_id)).metadata
    assert request.subreddits == ["startups"]


async def test_voice_requests_and_guessed_names_are_confirmed(runtime: Runtime) -> None:
    outcome = await say(runtime, "scan our slash free lands about late payments", voice=True)
    [message] = outcome.messages
    assert "r/freelance about late payments" in message
    assert "(I took “free lands” to mean r/freelance.)" in message
    assert outcome.submission is None
    assert (await say(runtime, "yes")).submission is not None


async def test_budget_over_the_cap_is_explained_and_can_be_edited(runtime: Runtime) -> None:
    over = await say(runtime, "r/SEO about backlinks, budget $500")
    assert over.messages == [
        "I can't run that yet: The budget $500 is above this workspace's cap of $25 per analysis. "
        "Tell me what to change, or say cancel."
    ]
    fixed = await say(runtime, "make it $1")
    assert fixed.submission is not None
    assert Decimal(str((await runtime.service.get(fixed.submission.analysis_id)).cost_breakdown.total)) == 0


async def test_watch_is_understood_and_confirmed_before_it_is_set_up(runtime: Runtime) -> None:
    outcome = await say(runtime, "watch r/SaaS for churn daily and DM me when an opportunity scores above 70")
    [message] = outcome.messages
    assert "I understood a watch: r/SaaS about churn, daily, alert when an opportunity scores above 70" in message
    assert "Set it up?" in message
    assert outcome.parsed is not None and outcome.parsed.threshold == 70
    # This chat service has no watch service wired in: it says so rather than running anything.
    answer = await say(runtime, "yes")
    assert answer.submission is None
    assert "Watches are not set up on this bot" in answer.messages[0]


async def test_status_and_cancel_follow_the_threads_analysis(runtime: Runtime) -> None:
    thread = ThreadRef("console", "team-1", "channel", "thread-2", "ana")
    assert (await say(runtime, "status", thread=thread)).messages == [
        "There is no analysis in this conversation yet. Ask me to scan some subreddits."
    ]
    started = await say(runtime, "r/marketing about reporting", thread=thread)
    assert started.submission is not None
    status = await say(runtime, "how is my analysis going?", thread=thread)
    assert status.messages == ["Your analysis of r/marketing is queued."]
    cancelled = await say(runtime, "cancel that", thread=thread)
    assert "cancel" in cancelled.messages[0].lower()


async def test_help_lists_examples_and_keeps_the_draft(runtime: Runtime) -> None:
    await say(runtime, "find opportunities about onboarding")
    helped = await say(runtime, "help")
    assert "r/smallbusiness" in helped.messages[0] and "voice note" in helped.messages[0]
    answered = await say(runtime, "r/SaaS")
    assert answered.submission is not None  # the earlier question is still open after help


async def test_edits_can_add_subreddits_and_drop_keywords(runtime: Runtime) -> None:
    await say(runtime, "r/startups about hiring, budget $5")
    added = await say(runtime, "also r/SaaS")
    assert "r/startups, r/SaaS about hiring" in added.messages[0]
    cleared = await say(runtime, "edit: no keywords, last 3 days")
    assert "Here's what I understood: r/startups, r/SaaS, last 3 days, budget $5." in cleared.messages[0]
    done = await say(runtime, "yes")
    assert done.submission is not None
    response = await runtime.service.get(done.submission.analysis_id)
    assert response.metadata.subreddits == ["startups", "SaaS"]


async def test_nothing_understood_while_confirming_keeps_the_draft(runtime: Runtime) -> None:
    await say(runtime, "r/startups about hiring, budget $5")
    unclear = await say(runtime, "hmm")
    assert "r/startups about hiring, last 7 days, budget $5" in unclear.messages[0]
    assert (await say(runtime, "ok")).submission is not None

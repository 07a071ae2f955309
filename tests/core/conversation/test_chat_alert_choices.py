"""Where alerts go and when spend is reported, chosen in words through the chat, down to the stored watch and the
email that arrives through a real SMTP server from a real worker."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from oppscout.core.contract import AnalysisRequest, AnalysisStatus
from oppscout.core.conversation.chat import ChatOutcome
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.repositories.outbox import OutboxRepository
from oppscout.core.db.repositories.watches import WatchRepository
from oppscout.core.db.tables import WatchRow
from oppscout.core.outbox import ConsoleMessenger
from oppscout.core.settings import Settings
from oppscout.jobs.watch_tasks import run_watches
from oppscout.runtime import Runtime, build_chat
from tests.fakes.smtp_server import smtp_server, subject_of, text_of
from tests.jobs.worker_harness import running_worker, wait_for_status

ANA = ThreadRef("console", "local", "console", "t1", "ana")


async def say(runtime: Runtime, text: str, thread: ThreadRef = ANA) -> ChatOutcome:
    # A fresh chat service per message, as separate deliveries: all state lives in the database.
    return await build_chat(runtime, voice=False).handle(thread, text)


async def stored_watch(runtime: Runtime, watch_id: int = 1) -> WatchRow:
    async with runtime.database.unit_of_work() as session:
        row = await WatchRepository(session).get(watch_id)
    assert row is not None
    return row


async def test_my_email_then_email_me_then_yes_turns_email_on_and_the_alert_arrives_by_smtp(settings: Settings) -> None:
    with smtp_server() as (mailbox, port):
        runtime = await Runtime.open(
            settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False})
        )
        try:
            noted = await say(runtime, "my email is ana@example.com")
            assert noted.messages == ["Got it: email notifications go to ana@example.com."]
            asked = await say(runtime, "watch r/smallbusiness weekly and email me above 30")
            [confirmation] = asked.messages  # the address is known: no question about it
            assert "alert when an opportunity scores above 30 by email" in confirmation
            assert "Set it up?" in confirmation
            created = await say(runtime, "yes")
            [done] = created.messages
            assert "I'll email you at ana@example.com" in done and "(watch #1)" in done
            row = await stored_watch(runtime)
            assert (row.email, row.push, row.threshold, row.cadence_hours) == (True, False, 30, 168)
            listing = await say(runtime, "list my watches")
            assert "by email to ana@example.com" in listing.messages[0]

            async with running_worker(runtime) as worker:
                messenger = worker.ctx["watch_scheduler"].dispatcher.messengers["console"]
                assert isinstance(messenger, ConsoleMessenger)
                messenger.echo = None
                assert await run_watches(worker.ctx) == 1
                async with asyncio.timeout(60):
                    while not mailbox.messages:
                        await asyncio.sleep(0.05)
        finally:
            await runtime.close()
    (email,) = mailbox.messages
    assert email["To"] == "ana@example.com"
    assert "Watch #1 (r/smallbusiness)" in subject_of(email)
    assert "≥ your threshold 30" in text_of(email)
    assert "pause watch 1" in text_of(email)
    assert "<a href=" in text_of(email, "html")
    assert messenger.sent == []  # email only: no DM


async def test_an_address_given_with_the_watch_is_format_checked_confirmed_and_remembered(runtime: Runtime) -> None:
    bad = await say(runtime, "watch r/SaaS daily and email pat@example")
    assert "“pat@example” does not look like an email address" in bad.messages[0]
    asked = await say(runtime, "email pat@example.com")
    [confirmation] = asked.messages
    assert "by email to pat@example.com" in confirmation and "Set it up?" in confirmation
    done = await say(runtime, "yes")
    assert "email notifications go to pat@example.com" in done.messages[0]
    assert "email you at pat@example.com" in done.messages[0]
    async with runtime.database.unit_of_work() as session:
        assert await OutboxRepository(session).email_of("console", "local", "ana") == "pat@example.com"
    row = await stored_watch(runtime)
    assert (row.email, row.push, row.cadence_hours) == (True, False, 24)


async def test_dm_me_and_both_are_where_the_alerts_go(runtime: Runtime) -> None:
    dm = await say(runtime, "watch r/SaaS for churn, DM me above 60")
    assert "by DM" in dm.messages[0]
    both = await say(runtime, "both")
    confirmation, address_question = both.messages
    assert address_question.startswith("I don't have your email address yet")
    # The edit keeps what it does not mention: the threshold and keywords stay.
    assert "r/SaaS about churn" in confirmation and "above 60 by DM and email" in confirmation
    done = await say(runtime, "yes")
    # No address is known yet: the watch says so, and DMs carry the alerts meanwhile.
    assert "I don't have your email address yet" in done.messages[0]
    row = await stored_watch(runtime)
    assert (row.push, row.email, row.threshold) == (True, True, 60)


async def test_email_me_without_an_address_still_reaches_the_owner_by_dm(runtime: Runtime) -> None:
    asked = await say(runtime, "watch r/SaaS daily and email me")
    assert asked.messages[-1] == "I don't have your email address yet: add it here, like “email you@example.com”."
    done = await say(runtime, "yes")
    assert "I'll DM you until you tell me one" in done.messages[0]
    row = await stored_watch(runtime)
    assert (row.push, row.email) == (True, True)


async def test_a_cost_alert_for_an_analysis_is_stored_in_its_notification_preferences(runtime: Runtime) -> None:
    asked = await say(runtime, "r/smallbusiness last week budget $3, tell me when it has cost $1")
    [confirmation] = asked.messages
    # "$1" is the cost alert, not the budget, and "tell me when" does not make it a watch.
    assert "budget $3" in confirmation and "once its spend reaches $1" in confirmation
    assert "Run it?" in confirmation
    started = await say(runtime, "yes")
    assert started.submission is not None
    request = await request_of(runtime, started.submission.analysis_id)
    assert request.max_cost == Decimal("3")
    assert request.notification_preferences.cost_threshold == Decimal("1")


async def test_a_percentage_cost_alert_is_of_the_budget(runtime: Runtime) -> None:
    asked = await say(runtime, "r/freelance last 2 weeks, budget $2.50, warn me at 80%")
    assert "once its spend reaches $2.00 (80% of the budget)" in asked.messages[0]
    started = await say(runtime, "yes")
    assert started.submission is not None
    request = await request_of(runtime, started.submission.analysis_id)
    assert request.notification_preferences.cost_threshold == Decimal("2")


async def test_a_cost_alert_above_the_budget_is_named(runtime: Runtime) -> None:
    asked = await say(runtime, "r/freelance last week, budget $1, tell me when it has cost $5")
    assert "A cost alert at $5.00 can never fire: the budget is $1.00." in asked.messages[0]


async def request_of(runtime: Runtime, analysis_id: str) -> AnalysisRequest:
    async with runtime.database.unit_of_work() as session:
        row = await AnalysisRepository(session).get(analysis_id)
    assert row is not None
    return AnalysisRequest.model_validate(row.request)


async def test_a_cost_alert_set_in_chat_dms_once_when_the_analysis_crosses_it(settings: Settings) -> None:
    # Reddit calls cost money here, so an analysis of the demo data spends past a cent.
    runtime = await Runtime.open(settings.model_copy(update={"reddit_price_per_1000_calls_usd": Decimal("10")}))
    try:
        await say(runtime, "r/smallbusiness r/freelance last 30 days budget $5, tell me when it has cost 5 cents")
        async with running_worker(runtime) as worker:
            messenger = worker.ctx["watch_scheduler"].dispatcher.messengers["console"]
            assert isinstance(messenger, ConsoleMessenger)
            messenger.echo = None
            started = await say(runtime, "yes")
            assert started.submission is not None
            await wait_for_status(runtime, started.submission.analysis_id, AnalysisStatus.COMPLETED)
            async with asyncio.timeout(30):
                while not messenger.sent:
                    await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # time for a second DM, if one were (wrongly) sent
    finally:
        await runtime.close()
    [(_, user, text)] = messenger.sent
    assert user == "ana"
    assert "Spend passed your cost alert of $0.05" in text


async def test_a_cost_alert_by_email_arrives_once_through_smtp(settings: Settings) -> None:
    with smtp_server() as (mailbox, port):
        runtime = await Runtime.open(
            settings.model_copy(
                update={
                    "smtp_host": "127.0.0.1",
                    "smtp_port": port,
                    "smtp_starttls": False,
                    "reddit_price_per_1000_calls_usd": Decimal("10"),
                }
            )
        )
        try:
            await say(runtime, "my email is ana@example.com")
            asked = await say(
                runtime, "r/smallbusiness r/freelance last 30 days budget $5, tell me by email when it has cost 5 cents"
            )
            assert "I'll tell you by email once its spend reaches $0.05" in asked.messages[0]
            async with running_worker(runtime) as worker:
                messenger = worker.ctx["watch_scheduler"].dispatcher.messengers["console"]
                assert isinstance(messenger, ConsoleMessenger)
                messenger.echo = None
                started = await say(runtime, "yes")
                assert started.submission is not None
                await wait_for_status(runtime, started.submission.analysis_id, AnalysisStatus.COMPLETED)
                async with asyncio.timeout(30):
                    while len(mailbox.messages) < 2:  # the cost alert and the final summary
                        await asyncio.sleep(0.05)
                await asyncio.sleep(0.3)
        finally:
            await runtime.close()
    cost = [m for m in mailbox.messages if "Spend passed your cost alert of $0.05" in text_of(m)]
    assert len(cost) == 1 and cost[0]["To"] == "ana@example.com"
    assert len(mailbox.messages) == 2
    assert messenger.sent == []  # by email only


async def test_email_me_the_results_of_a_one_off_analysis_is_not_a_watch(runtime: Runtime) -> None:
    outcome = await say(runtime, "r/freelance last 2 weeks about invoicing, email me the results")
    assert outcome.submission is not None  # started at once, as an analysis
    assert "(I'll email you the summary when it is done.)" in outcome.messages[0]
    request = await request_of(runtime, outcome.submission.analysis_id)
    assert request.notification_preferences.email is True
    async with runtime.database.unit_of_work() as session:
        assert await WatchRepository(session).list_for("console", "local", None) == []

"""Delivery through the outbox: retries with backoff and recorded attempts, giving up, reports, email over SMTP."""

from __future__ import annotations

from datetime import timedelta

from oppscout.core.contract import AnalysisStatus, OpportunityResults
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.outbox import OutboxRepository
from oppscout.core.errors import DeliveryError
from oppscout.core.outbox import ConsoleMessenger, Draft, OutboxDispatcher, RetryPolicy, enqueue
from oppscout.core.outbox_email import SmtpMessenger
from oppscout.core.watches import WatchScheduler, WatchSpec
from tests.core.watches.conftest import OWNER, Watches, opportunity
from tests.fakes.smtp_server import smtp_server, subject_of, text_of


class ClosedThenOpen:
    """A platform whose DMs fail (temporarily or for good) a given number of times, then work."""

    def __init__(self, failures: int, *, permanent: bool = False) -> None:
        self.failures = failures
        self.permanent = permanent
        self.delivered: list[str] = []

    async def send_dm(self, workspace_id: str, user_id: str, text: str) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryError(
                "the platform is down" if not self.permanent else "DMs are closed", permanent=self.permanent
            )
        self.delivered.append(text)


async def _queue(watches: Watches, key: str = "k1") -> int:
    async with watches.database.unit_of_work() as session:
        message_id = await enqueue(
            session,
            Draft(key, "chat", "ws1", "U1", "🔔 an alert", report_channel_id="C1", report_thread_id="T1"),
            watches.clock(),
        )
    assert message_id is not None
    return message_id


async def test_a_failed_dm_is_retried_with_growing_waits_and_every_attempt_is_recorded(watches: Watches) -> None:
    platform = ClosedThenOpen(2)
    dispatcher = OutboxDispatcher(
        watches.database, {"chat": platform}, policy=RetryPolicy(5, timedelta(seconds=30)), clock=watches.clock
    )
    message_id = await _queue(watches)
    async with watches.database.unit_of_work() as session:
        again = await enqueue(session, Draft("k1", "chat", "ws1", "U1", "🔔 an alert"), watches.clock())
    assert again is None  # the same key again (a replayed event) adds nothing
    assert len(await watches.outbox()) == 1

    assert (await dispatcher.dispatch_due()).retrying == [message_id]
    assert (await dispatcher.dispatch_due()).retrying == []  # not due yet
    watches.clock.advance(seconds=30)
    assert (await dispatcher.dispatch_due()).retrying == [message_id]
    watches.clock.advance(seconds=59)
    assert (await dispatcher.dispatch_due()).sent == []  # the second wait is 60 s
    watches.clock.advance(seconds=1)
    assert (await dispatcher.dispatch_due()).sent == [message_id]
    assert platform.delivered == ["🔔 an alert"]

    async with watches.database.unit_of_work() as session:
        attempts = await OutboxRepository(session).attempts(message_id)
        row = await OutboxRepository(session).get(message_id)
    assert [(a.attempt, a.ok, a.error) for a in attempts] == [
        (1, False, "the platform is down"),
        (2, False, "the platform is down"),
        (3, True, None),
    ]
    assert row is not None and row.status == "sent"


async def test_a_permanently_undeliverable_dm_is_reported_in_the_channel(watches: Watches) -> None:
    channel = ConsoleMessenger(echo=None)
    dispatcher = OutboxDispatcher(
        watches.database, {"chat": ClosedThenOpen(1, permanent=True)}, posters={"chat": channel}, clock=watches.clock
    )
    message_id = await _queue(watches)
    assert (await dispatcher.dispatch_due()).undeliverable == [message_id]
    assert channel.sent == []  # not a DM: posted in the channel the alert belongs to
    assert len(channel.posted) == 1
    _, mentioned, text = channel.posted[0]
    assert mentioned == "U1"
    assert "couldn't send you this alert as a direct message (DMs are closed)" in text
    assert "🔔 an alert" in text
    assert (await dispatcher.dispatch_due()).undeliverable == []  # never tried again
    assert (await watches.outbox())[0].status == "reported"


async def test_a_dm_that_keeps_failing_is_given_up_after_the_last_attempt(watches: Watches) -> None:
    dispatcher = OutboxDispatcher(
        watches.database, {"chat": ClosedThenOpen(99)}, policy=RetryPolicy(3, timedelta(seconds=1)), clock=watches.clock
    )
    message_id = await _queue(watches)
    outcomes = []
    for _ in range(4):
        result = await dispatcher.dispatch_due()
        outcomes.append((result.retrying, result.undeliverable))
        watches.clock.advance(minutes=1)
    assert outcomes == [([message_id], []), ([message_id], []), ([], [message_id]), ([], [])]
    row = (await watches.outbox())[0]
    assert row.status == "undeliverable" and row.attempts == 3


async def test_watch_alerts_and_summaries_go_by_email_through_smtp(watches: Watches) -> None:
    with smtp_server() as (mailbox, port):
        settings = watches.settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": "scout@example.com"}
        )
        dispatcher = OutboxDispatcher(
            watches.database, {"console": watches.messenger, "email": SmtpMessenger(settings)}, clock=watches.clock
        )
        scheduler = WatchScheduler(
            watches.database, settings, watches.runtime.service, dispatcher=dispatcher, clock=watches.clock
        )
        await watches.service.set_email(OWNER, "ana@example.com")
        watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], threshold=70, email=True))
        run_id = (await scheduler.tick()).started[0]
        run = next(r for r in await watches.runs(watch.id) if r.id == run_id)
        await watches.finish(run.analysis_id or "", [])  # the fixture's scheduler: no alert
        watches.clock.advance(days=1)
        run_id = (await scheduler.tick()).started[0]
        run = next(r for r in await watches.runs(watch.id) if r.id == run_id)
        async with watches.database.unit_of_work() as session:
            await AnalysisRepository(session).finish(
                run.analysis_id or "",
                AnalysisStatus.COMPLETED,
                results=OpportunityResults(opportunities=[opportunity("Churn analytics", 90)]).model_dump(mode="json"),
            )
        await scheduler.evaluate(run.analysis_id or "")

    assert len(watches.dms()) == 1  # the push DM
    assert len(mailbox.messages) == 1
    email = mailbox.messages[0]
    assert mailbox.envelopes[0] == ("scout@example.com", ["ana@example.com"])
    assert email["To"] == "ana@example.com"
    # The subject names the watch and its top opportunity.
    subject = subject_of(email)
    assert subject.startswith(f"Opportunity Scout: 🔔 Watch #{watch.id} (r/SaaS): Churn analytics (score 90)")
    assert email.get_content_type() == "multipart/alternative"
    text = text_of(email)
    assert "Churn analytics (score 90)" in text
    assert f"pause watch {watch.id}" in text and "To stop, say" in text
    page = text_of(email, "html")
    assert '<a href="https://reddit.com/r/SaaS/1">https://reddit.com/r/SaaS/1</a>' in page
    assert "To stop, say" in page


async def test_an_address_the_mail_server_refuses_is_not_retried(watches: Watches) -> None:
    with smtp_server() as (mailbox, port):
        mailbox.unknown.add("gone@example.com")
        settings = watches.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        dispatcher = OutboxDispatcher(watches.database, {"email": SmtpMessenger(settings)}, clock=watches.clock)
        async with watches.database.unit_of_work() as session:
            message_id = await enqueue(session, Draft("e1", "email", "ws1", "gone@example.com", "hi"), watches.clock())
        assert message_id is not None
        assert (await dispatcher.dispatch_due()).undeliverable == [message_id]
    assert mailbox.messages == []
    assert "refused the address" in ((await watches.outbox())[0].last_error or "")


async def test_no_mail_server_means_retry_later(watches: Watches) -> None:
    settings = watches.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": 9, "smtp_timeout_seconds": 2})
    dispatcher = OutboxDispatcher(watches.database, {"email": SmtpMessenger(settings)}, clock=watches.clock)
    async with watches.database.unit_of_work() as session:
        message_id = await enqueue(session, Draft("e2", "email", "ws1", "a@example.com", "hi"), watches.clock())
    assert (await dispatcher.dispatch_due()).retrying == [message_id]
    assert "could not be reached" in ((await watches.outbox())[0].last_error or "")

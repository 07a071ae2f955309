"""Reddit's rate limits and faults, made visible: counted calls, announced waits, bounded retries.

praw runs in worker threads (it blocks). Three pieces sit around it:

- ``CountingRequestor`` counts every HTTP request sent to the API host into the current
  ``CallContext`` and, when the fetch has a ``CallMeter``, reserves its price before sending it and
  settles it after, so each analysis is charged for exactly the calls it made (retries included:
  Reddit counts them too) and a call its budget cannot pay for is never sent;
- ``AnnouncedRateLimiter`` replaces prawcore's limiter: it still honours
  ``X-Ratelimit-Remaining/Used/Reset``, but tells the user before it sleeps;
- ``RedditCaller`` runs one praw call off the event loop and, on a 429 or a 5xx, waits and tries
  again instead of failing the analysis, until Reddit has been failing for too long.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import prawcore
import requests
from prawcore.rate_limit import RateLimiter
from prawcore.sessions import FiniteRetryStrategy

from oppscout.core.errors import SourceOutageError

if TYPE_CHECKING:
    from oppscout.core.costs import Reservation
    from oppscout.core.ports import CallMeter
    from oppscout.jobs.health_reporter import ComponentReporter

log = logging.getLogger(__name__)

T = TypeVar("T")
Announce = Callable[[str], Awaitable[None]]
"""Tells the user what the source waits for (a progress message)."""

TOKEN_PATH = "/api/v1/access_token"
# Below this many seconds a wait is not worth a message.
ANNOUNCE_MIN_SECONDS = 0.5


def waiting_message(seconds: float) -> str:
    """The progress message shown while waiting for Reddit."""
    return f"waiting for Reddit's rate limit ({max(1, math.ceil(seconds))} s)"


class CallContext:
    """One fetch's view of Reddit: its own call count and where its waits are announced.

    One praw client serves every analysis a worker runs at once (Reddit's limit is per client),
    so counts and messages are kept per fetch. ``asyncio.to_thread`` copies context variables
    into the worker thread, which is how the requestor and the limiter find the current fetch.
    """

    def __init__(self, announce: Announce | None = None, meter: CallMeter | None = None) -> None:
        self.announce = announce
        self.meter = meter
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.calls = 0
        # Set by ``RedditCaller``: where rate-limit waits are reported for the health endpoint.
        self.reporter: ComponentReporter | None = None

    def count(self) -> None:
        """Count one API request."""
        with self._lock:
            self.calls += 1

    def reserve_from_thread(self, what: str) -> Reservation | None:
        """Reserve the call described by ``what`` from a praw thread (None without a meter);
        BudgetExceededError propagates, so the request is never sent."""
        if self.meter is None or self._loop is None:
            return None
        return asyncio.run_coroutine_threadsafe(self.meter.reserve(what), self._loop).result()

    def settle_from_thread(self, reservation: Reservation) -> None:
        """Charge a call that was sent (answered or not: Reddit counts failed requests too)."""
        if self.meter is None or self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self.meter.settle(reservation), self._loop).result()

    def announce_from_thread(self, message: str) -> None:
        """Show ``message`` from a praw thread; errors of the callback (e.g. a cancel) propagate."""
        if self.announce is None or self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(_call(self.announce, message), self._loop).result()

    def report_wait_from_thread(self, seconds: float) -> None:
        """Report Reddit's API as degraded while a praw thread waits out the rate limit."""
        if self.reporter is None or self._loop is None:
            return
        detail = f"waiting {max(1, math.ceil(seconds))} s for the rate limit"
        asyncio.run_coroutine_threadsafe(self.reporter.degraded(detail), self._loop).result()


_current: ContextVar[CallContext | None] = ContextVar("oppscout_reddit_call", default=None)


async def _call(announce: Announce, message: str) -> None:
    await announce(message)


def describe_request(method: str, url: str, params: Any, data: Any) -> str:
    """What a request buys, as the same text every time it is made (the ledger keys calls by it)."""

    def canonical(values: Any) -> str:
        if isinstance(values, dict):
            return "&".join(f"{k}={v}" for k, v in sorted(values.items(), key=lambda kv: str(kv[0])))
        return "" if values is None else str(values)

    return f"{method.upper()} {url}?{canonical(params)}|{canonical(data)}"


class CountingRequestor(prawcore.Requestor):
    """A prawcore requestor that counts, reserves and settles requests to the API host (token requests are free)."""

    def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> requests.Response:
        """Send one request; one to the API is counted for the current fetch and reserved before it is sent."""
        method = str(args[0] if args else kwargs.get("method", "GET"))
        url = str(args[1] if len(args) > 1 else kwargs.get("url", ""))
        context = _current.get()
        if context is None or not url.startswith(self.oauth_url) or url.endswith(TOKEN_PATH):
            return super().request(*args, timeout=timeout, **kwargs)
        held = context.reserve_from_thread(describe_request(method, url, kwargs.get("params"), kwargs.get("data")))
        context.count()
        try:
            return super().request(*args, timeout=timeout, **kwargs)
        finally:
            if held is not None:
                context.settle_from_thread(held)


class AnnouncedRateLimiter(RateLimiter):
    """prawcore's header-driven limiter, announcing each noticeable wait before sleeping."""

    def delay(self) -> None:
        """Sleep until the next request is allowed, telling the user when that is a while."""
        if self.next_request_timestamp_ns is None:
            return
        seconds = (self.next_request_timestamp_ns - time.monotonic_ns()) / 1e9
        if seconds <= 0:
            return
        context = _current.get()
        if context is not None and seconds >= ANNOUNCE_MIN_SECONDS:
            context.report_wait_from_thread(seconds)
            context.announce_from_thread(waiting_message(seconds))
        time.sleep(seconds)


@dataclass(frozen=True)
class NoSilentRetry(FiniteRetryStrategy):
    """prawcore retries 5xx twice after silent sleeps; ``RedditCaller`` retries instead, visibly."""

    retries: int = 0

    def _sleep_seconds(self) -> float | None:
        return None


def _header_seconds(response: requests.Response | None) -> float | None:
    """How long Reddit asked us to wait (Retry-After, else X-Ratelimit-Reset when nothing remains)."""
    if response is None:
        return None
    headers = response.headers
    for name in ("retry-after", "x-ratelimit-reset"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            continue
    return None


class RedditCaller:
    """Runs praw calls off the event loop, retrying through rate limits and outages."""

    def __init__(
        self,
        *,
        max_outage_seconds: float,
        max_backoff_seconds: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        reporter: ComponentReporter | None = None,
    ) -> None:
        self.max_outage_seconds = max_outage_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.sleep = sleep
        self.reporter = reporter

    async def call(self, context: CallContext, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in a thread; 429 and 5xx are waited out, a long outage fails cleanly."""
        context._loop = asyncio.get_running_loop()
        context.reporter = self.reporter
        waited = 0.0
        attempt = 0
        while True:
            token = _current.set(context)
            try:
                result = await asyncio.to_thread(fn, *args, **kwargs)
                if self.reporter is not None:
                    await self.reporter.healthy("the last call succeeded")
                return result
            except prawcore.InvalidToken:
                # The token expired; prawcore dropped it and fetches a new one on the next call.
                if attempt > 0:
                    raise
                attempt += 1
                continue
            except prawcore.TooManyRequests as error:
                seconds = _header_seconds(error.response) or self._backoff(attempt)
                reason = "Reddit's rate limit (429)"
            except prawcore.ServerError as error:
                seconds = self._backoff(attempt)
                reason = f"Reddit server error ({error.response.status_code})"
            except prawcore.RequestException as error:
                seconds = self._backoff(attempt)
                reason = f"no connection to Reddit ({type(error.original_exception).__name__})"
            finally:
                _current.reset(token)
            seconds = min(seconds, self.max_backoff_seconds)
            if waited + seconds > self.max_outage_seconds:
                if self.reporter is not None:
                    await self.reporter.down(f"{reason} for {math.ceil(waited)} s; gave up")
                raise SourceOutageError(
                    f"Reddit kept failing for {math.ceil(waited)} s ({reason}), so this analysis stopped. "
                    "Nothing more was charged and what was already fetched is kept: ask again in a few minutes."
                )
            log.warning("%s; retrying in %.1f s", reason, seconds)
            if self.reporter is not None:
                await self.reporter.degraded(f"{reason}; retrying in {max(1, math.ceil(seconds))} s")
            if context.announce is not None:
                await context.announce(waiting_message(seconds))
            await self.sleep(seconds)
            waited += seconds
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        # Exponential: 2, 4, 8 … seconds, so a short hiccup costs little and an outage few calls.
        return float(min(self.max_backoff_seconds, 2 ** (attempt + 1)))

"""Prometheus metrics of one worker process: stages, finished analyses, Reddit, the LLM, notifiers, the queue.

Workers run as separate processes, possibly on other machines, so each one serves its own figures
(``OPPSCOUT_WORKER_METRICS_PORT``) and Prometheus sums them across workers. Figures are recorded
where they already flow: stage runs in the tasks, and the analysis events every worker publishes
(``MetricsNotifier`` sits in the worker's fan-out).
"""

from __future__ import annotations

import re
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from oppscout.core.events import AnalysisEvent, CancelledEvent, CompletedEvent, FailedEvent, ProgressEvent
from oppscout.core.ports import Notifier

# Stages take from well under a second (demo data) to many minutes (Reddit's rate limits, the LLM).
STAGE_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
WAIT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
# Matches ``rate_limit.waiting_message``: the announced wait is the only place a wait's length is known.
RATE_LIMIT_WAIT = re.compile(r"waiting for Reddit's rate limit \((\d+) s\)")


class WorkerMetrics:
    """The metric families of one worker, in their own registry (several workers may share a test process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.stage_seconds = Histogram(
            "oppscout_stage_duration_seconds",
            "Time one run of a stage took, by stage and outcome (done, failed, retry).",
            ["stage", "outcome"],
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        self.queue_wait = Histogram(
            "oppscout_queue_wait_seconds",
            "Time a stage job waited in the queue before a worker started it.",
            ["stage"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.analyses = Counter(
            "oppscout_analyses_finished", "Analyses this worker finished, by final status.", ["status"], registry=r
        )
        self.reddit_calls = Counter(
            "oppscout_reddit_calls", "Reddit API calls of the analyses this worker completed.", registry=r
        )
        self.rate_limit_waits = Counter(
            "oppscout_reddit_rate_limit_waits", "Waits for Reddit's rate limit announced to users.", registry=r
        )
        self.rate_limit_wait_seconds = Counter(
            "oppscout_reddit_rate_limit_wait_seconds", "Seconds of announced waits for Reddit's rate limit.", registry=r
        )
        self.llm_tokens = Counter(
            "oppscout_llm_tokens",
            "LLM tokens of the analyses this worker completed, by direction (in, out).",
            ["direction"],
            registry=r,
        )
        self.cost = Counter(
            "oppscout_cost_usd",
            "Money spent by the analyses this worker finished, by what it paid for (reddit, llm, failed).",
            ["kind"],
            registry=r,
        )
        self.notifier_failures = Counter(
            "oppscout_notifier_failures",
            "Events a notifier could not deliver, by notifier.",
            ["notifier"],
            registry=r,
        )

    def serve(self, port: int, addr: str = "0.0.0.0") -> None:  # all interfaces: Prometheus scrapes from elsewhere
        """Serve ``/metrics`` on ``port`` from a background thread for the life of the process."""
        start_http_server(port, addr=addr, registry=self.registry)

    def record_stage(self, stage: str, outcome: str, seconds: float) -> None:
        """One run of a stage."""
        self.stage_seconds.labels(stage=stage, outcome=outcome).observe(seconds)

    def record_queue_wait(self, stage: str, ctx: dict[str, Any]) -> None:
        """The wait of the job arq just started: from when it was due (its score, in ms) until now."""
        score = ctx.get("score")
        if isinstance(score, int | float) and score > 0:
            self.queue_wait.labels(stage=stage).observe(max(0.0, time.time() - score / 1000))

    def record_event(self, event: AnalysisEvent) -> None:
        """The figures an analysis event carries."""
        if isinstance(event, ProgressEvent):
            found = RATE_LIMIT_WAIT.search(event.progress.message)
            if found:
                self.rate_limit_waits.inc()
                self.rate_limit_wait_seconds.inc(int(found.group(1)))
        elif isinstance(event, CompletedEvent):
            self.analyses.labels(status="completed").inc()
            cost = event.cost
            self.reddit_calls.inc(cost.reddit_calls)
            self.llm_tokens.labels(direction="in").inc(cost.llm_tokens_in)
            self.llm_tokens.labels(direction="out").inc(cost.llm_tokens_out)
            self.cost.labels(kind="reddit").inc(float(cost.reddit_cost))
            self.cost.labels(kind="llm").inc(float(cost.llm_cost))
        elif isinstance(event, FailedEvent):
            self.analyses.labels(status="failed").inc()
            self.cost.labels(kind="failed").inc(float(event.spent))
        elif isinstance(event, CancelledEvent):
            self.analyses.labels(status="cancelled").inc()


class MetricsNotifier:
    """A Notifier that records the figures of every event the worker publishes."""

    def __init__(self, metrics: WorkerMetrics) -> None:
        self.metrics = metrics

    async def publish(self, event: AnalysisEvent) -> None:
        """Record the event; never raises."""
        self.metrics.record_event(event)


class CountedNotifier:
    """Wraps a notifier so the failures it raises are counted (the fan-out around it still logs them)."""

    def __init__(self, inner: Notifier, metrics: WorkerMetrics) -> None:
        self.inner = inner
        self.metrics = metrics
        self.name = type(inner).__name__

    async def publish(self, event: AnalysisEvent) -> None:
        """Publish through the wrapped notifier, counting a failure before passing it on."""
        try:
            await self.inner.publish(event)
        except Exception:
            self.metrics.notifier_failures.labels(notifier=self.name).inc()
            raise

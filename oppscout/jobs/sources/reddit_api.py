"""The praw client, configured from settings, and the few raw calls the Reddit source makes.

App-only OAuth (client credentials), a User-Agent in Reddit's required form, and the OAuth, www
and short URLs from settings so staging proxies and tests can point elsewhere. Every call runs
off the event loop through ``RedditCaller``.
"""

from __future__ import annotations

from typing import Any

import praw
import prawcore
from praw.models import Submission

from oppscout.core.errors import SourceUnavailableError
from oppscout.core.settings import Settings
from oppscout.jobs.sources.rate_limit import (
    AnnouncedRateLimiter,
    CallContext,
    CountingRequestor,
    NoSilentRetry,
    RedditCaller,
)

# prawcore's default window of Reddit's rate limit, in seconds.
WINDOW_SECONDS = 600


def build_reddit(settings: Settings) -> praw.Reddit:
    """A read-only praw client for app-only OAuth; raises SourceUnavailableError without credentials."""
    if settings.reddit_client_id is None or settings.reddit_client_secret is None:
        raise SourceUnavailableError(
            "The Reddit source needs OPPSCOUT_REDDIT_CLIENT_ID and OPPSCOUT_REDDIT_CLIENT_SECRET "
            "(an app from reddit.com/prefs/apps with Data API access)."
        )
    reddit = praw.Reddit(
        client_id=settings.reddit_client_id.get_secret_value(),
        client_secret=settings.reddit_client_secret.get_secret_value(),
        user_agent=settings.reddit_user_agent,
        oauth_url=settings.reddit_oauth_url,
        reddit_url=settings.reddit_url,
        short_url=settings.reddit_short_url,
        timeout=settings.reddit_timeout_seconds,
        # No update check: it would call PyPI at run time. No async warning: calls run in threads.
        check_for_updates=False,
        check_for_async=False,
        requestor_class=CountingRequestor,
    )
    reddit.read_only = True
    for core in (reddit._read_only_core, reddit._authorized_core):
        if core is not None:
            # prawcore's limiter sleeps silently; ours says so first ("waiting for Reddit's rate limit").
            core._rate_limiter = AnnouncedRateLimiter(window_size=WINDOW_SECONDS)
            core._retry_strategy_class = NoSilentRetry
    return reddit


class RedditApi:
    """The calls the Reddit source makes, each counted, rate limited and retried."""

    def __init__(self, reddit: praw.Reddit, caller: RedditCaller) -> None:
        self.reddit = reddit
        self.caller = caller

    async def get(self, context: CallContext, path: str, params: dict[str, str | int]) -> Any:
        """The parsed JSON of a GET (raw dicts: nothing lazy that could cost a hidden call)."""
        return await self.caller.call(context, self._request, "GET", path, params, None)

    async def post(self, context: CallContext, path: str, data: dict[str, Any]) -> Any:
        """The parsed JSON of a POST."""
        return await self.caller.call(context, self._request, "POST", path, None, data)

    def _request(self, method: str, path: str, params: dict[str, str | int] | None, data: dict[str, Any] | None) -> Any:
        return self.reddit.request(method=method, path=path, params=params, data=data)

    async def about(self, context: CallContext, name: str) -> tuple[int, dict[str, Any]]:
        """``r/{name}/about``: (HTTP status, JSON body); errors such as 403/404 come back as statuses."""
        try:
            return 200, await self.get(context, f"r/{name}/about/", {})
        except prawcore.Redirect:
            # Reddit redirects unknown names to its subreddit search.
            return 404, {}
        except prawcore.ResponseException as error:
            if isinstance(error, prawcore.TooManyRequests | prawcore.ServerError):
                raise
            try:
                body = error.response.json()
            except ValueError:
                body = {}
            return error.response.status_code, body if isinstance(body, dict) else {}

    async def submission(self, context: CallContext, post_id: str, comment_limit: int) -> Submission:
        """A submission with its first page of comments loaded (one call)."""
        return await self.caller.call(context, self._load_submission, post_id, comment_limit)

    def _load_submission(self, post_id: str, comment_limit: int) -> Submission:
        submission = self.reddit.submission(id=post_id)
        submission.comment_sort = "top"
        submission.comment_limit = comment_limit
        submission.comments  # noqa: B018 - loading the forest is the API call
        return submission

    async def replace_more(self, context: CallContext, submission: Submission, limit: int) -> None:
        """Load at most ``limit`` "more comments" stubs of a submission (one call each)."""
        await self.caller.call(context, submission.comments.replace_more, limit=limit)

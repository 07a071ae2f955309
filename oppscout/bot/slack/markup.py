"""Slack's text format decoded into the plain text a person typed, before anything parses it.

Slack escapes ``&``, ``<`` and ``>`` as ``&amp;``, ``&lt;`` and ``&gt;`` and wraps links and
mentions in angle brackets: ``<https://…|label>``, ``<@U123>``, ``<#C123|general>``,
``<!channel>``, ``<!subteam^S1|@team>``, ``<!date^…|fallback>``
(https://api.slack.com/reference/surfaces/formatting). The parser must see none of that:
"invoices &amp; late fees" is about invoices and late fees, a pasted reddit.com link names a
subreddit, and ``<!channel>`` is not a keyword.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

ANGLE = re.compile(r"<([^<>\n]*)>")
SUBREDDIT_PATH = re.compile(r"^/r/([A-Za-z0-9_]{2,21})(?:/|$)")
BEFORE_PUNCTUATION = re.compile(r" ([,.;:!?])")
REDDIT_HOSTS = ("reddit.com", "www.reddit.com", "old.reddit.com", "new.reddit.com", "np.reddit.com")


def unescape(text: str) -> str:
    """Slack's three entities back to their characters (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _subreddit_of(url: str) -> str | None:
    parsed = urlparse(url)
    if (parsed.hostname or "").lower() not in REDDIT_HOSTS:
        return None
    match = SUBREDDIT_PATH.match(parsed.path)
    return f"r/{match[1]}" if match else None


def _resolve(inner: str) -> str:
    """What one ``<…>`` stands for in the request."""
    target, _, label = inner.partition("|")
    if target.startswith(("@", "#")):
        # A person or a channel is never part of the request.
        return " "
    if target.startswith("!"):
        # <!channel>, <!here>, <!everyone>, <!subteam^…>: not words of the request; a date keeps its fallback.
        return f" {unescape(label)} " if target.startswith("!date^") and label else " "
    subreddit = _subreddit_of(unescape(target))
    if subreddit is not None:
        return f" {subreddit} "
    if target.startswith("mailto:"):
        return unescape(label or target.removeprefix("mailto:"))
    return unescape(label or target)


def decode(text: str) -> str:
    """The plain text of a Slack message: entities decoded, links and mentions resolved, spaces tidied.

    Text outside the brackets is unescaped only after the brackets are found, so a typed "&lt;b&gt;"
    stays the characters "<b>" and is never taken for a link.
    """
    out: list[str] = []
    position = 0
    for match in ANGLE.finditer(text):
        out.append(unescape(text[position : match.start()]))
        out.append(_resolve(match[1]))
        position = match.end()
    out.append(unescape(text[position:]))
    # A resolved link or mention leaves spaces around itself; "r/freelance ," reads better as "r/freelance,".
    return BEFORE_PUNCTUATION.sub(r"\1", " ".join("".join(out).split()))

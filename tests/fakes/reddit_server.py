"""A fake Reddit on 127.0.0.1 that speaks Reddit's real JSON to the real praw client.

Posts are the real ones in ``shared/data/reddit/top-posts-2013`` with their timestamps shifted
into a recent window; comment bodies are real ones from the recorded praw cassettes, and every
object is shaped like the recorded responses (a recorded ``t3``/``t1`` is the template). It serves
``/api/v1/access_token``, listings (``new``), search, ``/api/info``, ``about``, name search,
comment trees with ``more`` stubs and ``/api/morechildren``, with ``X-Ratelimit-*`` headers and
scripted faults (429, 5xx). Reddit's ~1,000-item listing cap is enforced.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import random
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

LISTING_CAP = 1000
TOKEN = "fake-access-token"
SPANS = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 28 * 86400, "year": 365 * 86400}


@dataclass
class Fault:
    """A scripted failure: the next ``times`` requests whose path contains ``path`` get ``status``."""

    path: str
    status: int
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    after: int = 0


@dataclass
class Subreddit:
    """A subreddit the fake knows, and whether it can be read."""

    name: str
    state: str = "public"  # public, private, quarantined, banned


@dataclass
class Request:
    """One request the fake received."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


def _templates(cassettes: Path) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """A recorded t3 and t1 data object, and the real comment bodies of the cassettes."""
    listing = json.loads((cassettes / "TestSubredditListings.test_new.json").read_text())
    body = json.loads(listing["interactions"][1]["response"]["body"]["string"])
    t3 = body["data"]["children"][0]["data"]
    bodies: list[str] = []
    t1: dict[str, Any] = {}

    def walk(node: Any) -> None:
        nonlocal t1
        if isinstance(node, dict):
            if node.get("kind") == "t1":
                t1 = t1 or node["data"]
                text = node["data"].get("body") or ""
                if len(text.split()) >= 4 and text not in bodies:
                    bodies.append(text)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    forest = json.loads((cassettes / "TestCommentForest.test_replace__all.json").read_text())
    for interaction in forest["interactions"]:
        walk(json.loads(interaction["response"]["body"]["string"]))
    return t3, t1, bodies


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


class FakeReddit:
    """The fake's state: subreddits, posts, comment trees, rate-limit headers, faults and a request log."""

    def __init__(
        self,
        shared: Path,
        subreddits: Iterable[str],
        *,
        now: float | None = None,
        spread_days: float = 20,
        posts_per_subreddit: int | None = None,
        copies: int = 1,
        tree_size: int = 6,
        more_size: int = 3,
        client_id: str = "fake-client",
        client_secret: str = "fake-secret",
    ) -> None:
        self.now = now if now is not None else time.time()
        self.client_id = client_id
        self.client_secret = client_secret
        self.tree_size = tree_size
        self.more_size = more_size
        self.t3_template, self.t1_template, self.bodies = _templates(shared / "data/reddit/praw-cassettes")
        self.subreddits: dict[str, Subreddit] = {}
        self.posts: list[dict[str, Any]] = []
        self.removed: set[str] = set()
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self.ratelimit_remaining = 990.0
        self.ratelimit_reset = 300
        self._window_started = time.monotonic()
        # Posts created after this (epoch seconds) are not on Reddit yet; None shows all.
        self.visible_until: float | None = None
        self.lock = threading.Lock()
        self._comments: dict[str, dict[str, Any]] = {}
        for name in subreddits:
            path = shared / "data/reddit/top-posts-2013/data" / f"{name}.csv"
            for copy_number in range(copies):
                self._load(path, spread_days, posts_per_subreddit, copy_number)
        self.posts.sort(key=lambda p: -float(p["created_utc"]))
        self._by_id = {p["id"]: p for p in self.posts}

    # --- data ---------------------------------------------------------------------------------

    def set_ratelimit(self, remaining: float, reset: int) -> None:
        """Start a rate-limit window with ``remaining`` requests left, refilled after ``reset`` seconds."""
        with self.lock:
            self.ratelimit_remaining = remaining
            self.ratelimit_reset = reset
            self._window_started = time.monotonic()

    def add_subreddit(self, name: str, state: str) -> None:
        """A subreddit without posts in some state (private, quarantined, banned)."""
        self.subreddits[name.lower()] = Subreddit(name, state)

    def _load(self, path: Path, spread_days: float, limit: int | None, copy_number: int) -> None:
        """Posts of one CSV; copies beyond the first get new ids, to make a subreddit busier than Reddit's cap."""
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        rows.sort(key=lambda r: -float(r["created_utc"]))
        rows = rows[:limit] if limit else rows
        name = path.stem
        self.subreddits[name.lower()] = Subreddit(name)
        newest = float(rows[0]["created_utc"])
        oldest = float(rows[-1]["created_utc"])
        scale = (spread_days * 86400) / max(1.0, newest - oldest)
        for row in rows:
            # Shift into the window: the newest post an hour ago, the oldest spread_days before.
            created = self.now - 3600 - (newest - float(row["created_utc"])) * scale - copy_number * 37
            post_id = row["id"] + (_b36(copy_number) if copy_number else "")
            data = copy.deepcopy(self.t3_template)
            author = "u_" + hashlib.sha1(post_id.encode()).hexdigest()[:8]
            data.update(
                id=post_id,
                name=f"t3_{post_id}",
                title=row["title"],
                selftext=row["selftext"],
                subreddit=name,
                subreddit_id=row["subreddit_id"],
                author=author,
                score=int(row["score"]),
                ups=int(row["ups"]),
                num_comments=int(row["num_comments"]),
                created_utc=created,
                created=created,
                permalink=f"/r/{name}/comments/{post_id}/",
                url=row["url"],
                domain=row["domain"],
                is_self=row["is_self"] == "True",
                removed_by_category=None,
            )
            self.posts.append(data)

    def post(self, post_id: str) -> dict[str, Any] | None:
        """The current JSON data of a post (removed posts read as removed)."""
        data = self._by_id.get(post_id)
        if data is None:
            return None
        shown = dict(data)
        if post_id in self.removed:
            shown.update(selftext="[removed]", removed_by_category="moderator")
        return shown

    def _comment(self, post: dict[str, Any], rng: random.Random, parent: str, depth: int) -> dict[str, Any]:
        number = int(post["id"], 36) * 1000 + len([k for k in self._comments if k.startswith(post["id"] + ":")])
        comment_id = _b36(number)
        roll = rng.random()
        author, body = "u_" + _b36(rng.randrange(36**6)), rng.choice(self.bodies)
        if roll < 0.08:
            author, body = "[deleted]", "[deleted]"
        elif roll < 0.14:
            author, body = (
                "AutoModerator",
                "Your post was approved. Please read the rules of this subreddit before commenting.",
            )
        elif roll < 0.18:
            body = "lol"
        elif roll < 0.22:
            body = "[removed]"
        data = copy.deepcopy(self.t1_template)
        data.update(
            id=comment_id,
            name=f"t1_{comment_id}",
            body=body,
            author=author,
            score=rng.randrange(-3, 120),
            created_utc=float(post["created_utc"]) + rng.randrange(60, 36000),
            parent_id=parent,
            link_id=post["name"],
            subreddit=post["subreddit"],
            subreddit_id=post["subreddit_id"],
            depth=depth,
            replies="",
            distinguished=None,
        )
        self._comments[f"{post['id']}:{comment_id}"] = data
        return data

    def tree(self, post_id: str) -> tuple[list[dict[str, Any]], list[str]]:
        """A post's top-level comments (``t1``/``more`` things) and the ids behind its ``more`` stub."""
        post = self.post(post_id)
        if post is None or not post["num_comments"]:
            return [], []
        rng = random.Random(post_id)
        with self.lock:
            if not any(k.startswith(post_id + ":") for k in self._comments):
                shown = min(self.tree_size, post["num_comments"])
                for _ in range(shown):
                    parent_key = rng.choice([None, None, *[k for k in self._comments if k.startswith(post_id + ":")]])
                    if parent_key is None:
                        self._comment(post, rng, post["name"], 0)
                    else:
                        parent = self._comments[parent_key]
                        self._comment(post, rng, parent["name"], int(parent["depth"]) + 1)
                hidden = min(self.more_size, max(0, post["num_comments"] - shown))
                for _ in range(hidden):
                    self._comment(post, rng, post["name"], 0)["_hidden"] = True
            mine = [c for k, c in self._comments.items() if k.startswith(post_id + ":")]
        visible = [c for c in mine if not c.get("_hidden")]
        hidden_ids = [c["id"] for c in mine if c.get("_hidden")]
        return self._nest(visible, post["name"]), hidden_ids

    def _nest(self, comments: list[dict[str, Any]], root: str) -> list[dict[str, Any]]:
        by_parent: dict[str, list[dict[str, Any]]] = {}
        for c in comments:
            by_parent.setdefault(c["parent_id"], []).append(c)

        def things(parent: str) -> list[dict[str, Any]]:
            out = []
            for c in by_parent.get(parent, []):
                data = {k: v for k, v in c.items() if not k.startswith("_")}
                children = things(c["name"])
                data["replies"] = {"kind": "Listing", "data": {"children": children, "after": None}} if children else ""
                out.append({"kind": "t1", "data": data})
            return out

        return things(root)

    def shown_comment(self, data: dict[str, Any]) -> dict[str, Any]:
        """A comment as Reddit shows it now (removed ones read as removed)."""
        if data["id"] in self.removed:
            return {**data, "body": "[removed]"}
        return data

    def comments_by_id(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        """Comment things by id (for morechildren)."""
        wanted = set(ids)
        return [
            {"kind": "t1", "data": {k: v for k, v in c.items() if not k.startswith("_")}}
            for c in self._comments.values()
            if c["id"] in wanted
        ]

    # --- listings -----------------------------------------------------------------------------

    def listing(self, names: list[str], query: str | None, t: str | None) -> list[dict[str, Any]]:
        """Posts of a (multi)reddit, newest first, cut at Reddit's cap."""
        keys = {n.lower() for n in names}
        posts = [p for p in self.posts if p["subreddit"].lower() in keys]
        if self.visible_until is not None:
            posts = [p for p in posts if float(p["created_utc"]) <= self.visible_until]
        if query is not None:
            posts = [p for p in posts if lucene_matches(query, f"{p['title']}\n{p['selftext']}")]
            if t in SPANS:
                posts = [p for p in posts if float(p["created_utc"]) >= time.time() - SPANS[t]]
        return [self.post(p["id"]) or p for p in posts[:LISTING_CAP]]


def _top_level(query: str, operator: str) -> list[str]:
    # Split on `` OR `` / `` AND `` outside parentheses and quotes.
    parts, depth, quoted, start = [], 0, False, 0
    i = 0
    while i < len(query):
        c = query[i]
        if c == '"':
            quoted = not quoted
        elif not quoted and c in "()":
            depth += 1 if c == "(" else -1
        elif not quoted and depth == 0 and query.startswith(operator, i):
            parts.append(query[start:i])
            start = i + len(operator)
            i = start
            continue
        i += 1
    parts.append(query[start:])
    return [p.strip() for p in parts]


def lucene_matches(query: str, text: str) -> bool:
    """Reddit's Lucene subset the source sends: quoted terms (whole words), ``OR``, ``AND``, parentheses."""
    query = query.strip()
    while (query.startswith("(") and query.endswith(")") and _top_level(query[1:-1], " OR ") != [query[1:-1]]) or (
        query.startswith("(") and query.endswith(")") and _top_level(query[1:-1], " AND ") != [query[1:-1]]
    ):
        query = query[1:-1].strip()
    alternatives = _top_level(query, " OR ")
    if len(alternatives) > 1:
        return any(lucene_matches(a, text) for a in alternatives)
    required = _top_level(query, " AND ")
    if len(required) > 1:
        return all(lucene_matches(r, text) for r in required)
    term = query.strip("()").strip().strip('"').lower()
    return re.search(r"(?<![\w'])" + re.escape(term) + r"(?![\w'])", text.lower()) is not None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the request log instead."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()} if length else {}
        with fake.lock:
            fake.requests.append(Request(method, url.path, {**params, **form}, dict(self.headers.items())))
            fault = next((f for f in fake.faults if f.path in url.path and f.times > 0), None)
            if fault is not None and fault.after > 0:
                fault.after -= 1
                fault = None
            elif fault is not None:
                fault.times -= 1
        if url.path == "/api/v1/access_token":
            self._token()
        elif self.headers.get("Authorization") != f"bearer {TOKEN}":
            self._send(
                401,
                {"message": "Unauthorized", "error": 401},
                {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'},
            )
        elif fault is not None:
            self._send(fault.status, {"message": "Too Many Requests", "error": fault.status}, fault.headers)
        else:
            status, body = self._route(method, url.path, {**params, **form})
            self._send(status, body)

    def _token(self) -> None:
        fake = self.server.fake
        import base64

        expected = base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            self._send(401, {"message": "Unauthorized", "error": 401}, rate=False)
            return
        self._send(200, {"access_token": TOKEN, "token_type": "bearer", "expires_in": 86400, "scope": "*"}, rate=False)

    def _route(self, method: str, path: str, params: dict[str, str]) -> tuple[int, Any]:
        fake = self.server.fake
        if match := re.fullmatch(r"/r/([^/]+)/(new|search)/?", path):
            names = match.group(1).split("+")
            for name in names:
                sub = fake.subreddits.get(name.lower())
                if sub is None:
                    return 404, {"message": "Not Found", "error": 404}
                if sub.state != "public":
                    return (404 if sub.state == "banned" else 403), {"reason": sub.state, "message": "Forbidden"}
            query = params.get("q") if match.group(2) == "search" else None
            return 200, self._page(fake.listing(names, query, params.get("t")), params)
        if match := re.fullmatch(r"/r/([^/]+)/about/?", path):
            sub = fake.subreddits.get(match.group(1).lower())
            if sub is None:
                return 404, {"message": "Not Found", "error": 404}
            if sub.state in {"private", "quarantined"}:
                return 403, {"reason": sub.state, "message": "Forbidden", "error": 403}
            if sub.state == "banned":
                return 404, {"reason": "banned", "message": "Not Found", "error": 404}
            return 200, {"kind": "t5", "data": self._t5(sub)}
        if path.rstrip("/") == "/api/info" and "id" in params:
            things = []
            for fullname in params["id"].split(","):
                kind, _, thing_id = fullname.partition("_")
                if kind == "t3" and (post := fake.post(thing_id)) is not None:
                    things.append({"kind": "t3", "data": post})
                elif kind == "t1":
                    things += [dict(t, data=fake.shown_comment(t["data"])) for t in fake.comments_by_id([thing_id])]
            return 200, {"kind": "Listing", "data": {"children": things, "after": None, "before": None}}
        if path.rstrip("/") == "/api/info":
            wanted = [n.lower() for n in params.get("sr_name", "").split(",") if n]
            children = [
                {"kind": "t5", "data": self._t5(fake.subreddits[n])}
                for n in wanted
                if n in fake.subreddits and fake.subreddits[n].state != "banned"
            ]
            return 200, {"kind": "Listing", "data": {"children": children, "after": None, "before": None}}
        if path.rstrip("/") == "/api/search_reddit_names":
            query = params.get("query", "").lower()
            names = sorted(s.name for k, s in fake.subreddits.items() if k.startswith(query) and s.state == "public")
            return 200, {"names": names}
        if match := re.fullmatch(r"/comments/([a-z0-9]+)/?", path):
            post = fake.post(match.group(1))
            if post is None:
                return 404, {"message": "Not Found", "error": 404}
            things, hidden = fake.tree(post["id"])
            if hidden:
                more = {"count": len(hidden), "name": f"t1_{hidden[0]}", "id": hidden[0]}
                things.append(
                    {"kind": "more", "data": {**more, "parent_id": post["name"], "depth": 0, "children": hidden}}
                )
            return 200, [
                {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": post}], "after": None}},
                {"kind": "Listing", "data": {"children": things, "after": None}},
            ]
        if path.rstrip("/") == "/api/morechildren" and method == "POST":
            things = fake.comments_by_id(params.get("children", "").split(","))
            return 200, {"json": {"errors": [], "data": {"things": things}}}
        return 404, {"message": "Not Found", "error": 404}

    @staticmethod
    def _t5(sub: Subreddit) -> dict[str, Any]:
        return {
            "display_name": sub.name,
            "name": "t5_" + hashlib.sha1(sub.name.lower().encode()).hexdigest()[:5],
            "subreddit_type": "private" if sub.state == "private" else "public",
            "quarantine": sub.state == "quarantined",
            "over18": False,
        }

    @staticmethod
    def _page(posts: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
        limit = min(100, int(params.get("limit", 25)))
        start = 0
        if after := params.get("after"):
            names = [p["name"] for p in posts]
            start = names.index(after) + 1 if after in names else len(posts)
        page = posts[start : start + limit]
        more = start + limit < len(posts)
        return {
            "kind": "Listing",
            "data": {
                "after": page[-1]["name"] if page and more else None,
                "dist": len(page),
                "modhash": "",
                "children": [{"kind": "t3", "data": p} for p in page],
                "before": None,
            },
        }

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None, *, rate: bool = True) -> None:
        fake = self.server.fake
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        if rate:
            with fake.lock:
                if time.monotonic() - fake._window_started >= fake.ratelimit_reset:
                    # A new rate-limit window: Reddit gives the full allowance back.
                    fake._window_started = time.monotonic()
                    fake.ratelimit_remaining = 1000.0
                fake.ratelimit_remaining = max(0.0, fake.ratelimit_remaining - 1)
                used = 1000 - int(fake.ratelimit_remaining)
                remaining, reset = fake.ratelimit_remaining, fake.ratelimit_reset
            self.send_header("x-ratelimit-remaining", f"{remaining:.1f}")
            self.send_header("x-ratelimit-used", str(used))
            self.send_header("x-ratelimit-reset", str(reset))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeReddit) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class FakeRedditServer:
    """Runs a ``FakeReddit`` on 127.0.0.1 in a thread; ``url`` is where praw should point."""

    def __init__(self, fake: FakeReddit) -> None:
        self.fake = fake
        self._server = _Server(fake)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the fake (use it for oauth_url and reddit_url)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeRedditServer:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def api_requests(self) -> list[Request]:
        """Requests to the API (everything but the token endpoint)."""
        return [r for r in self.fake.requests if r.path != "/api/v1/access_token"]

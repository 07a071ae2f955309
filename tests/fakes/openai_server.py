"""A fake OpenAI-compatible API on 127.0.0.1 for the real openai client.

It serves ``POST /v1/chat/completions`` (structured output in ``choices[0].message.content`` and
``usage``), ``POST /v1/embeddings``, ``GET /v1/models`` and, like llama.cpp's server, ``POST /tokenize`` at
the root (off with ``tokenizer=False``; it counts one token per UTF-8 byte, the densest byte-level tokenizer).
By default a chat reply is a well-formed opportunity for each theme in the request's data block: its first
excerpt quoted verbatim, plus one quote that was never said (so tests can see non-verbatim quotes dropped).
Tests script the next replies: an HTTP status (429, 500), a delay longer than the client's timeout,
malformed JSON, exact usage figures, a reply cut off at ``max_tokens``, a 200 with an HTML page, no usage,
and for streamed requests a steady pace per chunk or a stall mid-answer (hang-ups are counted).
Server-wide behaviours: ``refuse_json_schema`` (HTTP 500 for ``response_format: json_schema``, as
llama-cpp-python's server does) and ``deterministic`` (the same request always gets the same answer, as at
temperature 0: the first scripted reply for a request is remembered and repeated).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STREAM_PIECE = 40
"""Characters of content in one streamed chunk."""
INVENTED_QUOTE = "Honestly I would pay anything for a robot accountant that reads my mind."


@dataclass
class Scripted:
    """One scripted chat reply: a failure status, a delay, raw content, or usage figures."""

    status: int = 200
    delay: float = 0.0
    content: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    omit_usage: bool = False
    html: bool = False
    """Answer 200 with an HTML page (a proxy's error page), not JSON."""
    truncated: bool = False
    """Cut the content at ``max_tokens`` (four characters a token, at most half of it) with ``finish_reason: length``."""
    rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """Change the default answer (parsed JSON) before it is sent: duplicate numbers, a hijacked title."""
    chunk_delay: float = 0.0
    """When streamed: the pause before each chunk (a slow CPU server writing steadily)."""
    stall_after: int | None = None
    stall: float = 0.0
    """When streamed: go silent for ``stall`` seconds after this many chunks (a server that hangs mid-answer)."""


@dataclass
class Received:
    """A request the fake received."""

    path: str
    body: dict[str, Any]
    authorization: str


@dataclass
class FakeOpenAI:
    """The fake's state: scripted replies and what it received."""

    script: deque[Scripted] = field(default_factory=deque)
    # How a text becomes a vector; a test can make chosen texts mean the same thing.
    embed_rule: Callable[[str], list[float]] | None = None
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokenizer: bool = True
    refuse_json_schema: bool = False
    deterministic: bool = False
    remembered: dict[str, Scripted] = field(default_factory=dict)
    chunks_sent: int = 0
    disconnects: int = 0

    def then(self, *replies: Scripted) -> None:
        """Queue replies for the next chat calls, in order."""
        with self.lock:
            self.script.extend(replies)

    def chats(self) -> list[Received]:
        """The chat completion requests received so far."""
        return [r for r in self.received if r.path.endswith("/chat/completions")]

    def next_script(self, body: dict[str, Any] | None = None) -> Scripted:
        """The reply for this request: the remembered one in deterministic mode, else the next scripted one."""
        request = json.dumps(body, sort_keys=True) if body is not None else ""
        with self.lock:
            if self.deterministic and request in self.remembered:
                return self.remembered[request]
            script = self.script.popleft() if self.script else Scripted()
            if self.deterministic:
                self.remembered[request] = script
            return script


def data_block(user_message: str) -> dict[str, Any]:
    """The JSON inside <reddit_data> of a synthesis request."""
    start = user_message.index("<reddit_data>") + len("<reddit_data>")
    end = user_message.index("</reddit_data>")
    parsed: dict[str, Any] = json.loads(user_message[start:end])
    return parsed


def default_answer(body: dict[str, Any]) -> str:
    """A well-formed answer for every theme in the request."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    try:
        themes = data_block(user).get("themes", [])
    except (ValueError, KeyError):
        themes = []
    answers = [
        {
            "n": theme["n"],
            "title": f"Synthesised: {theme.get('working_title', 'Opportunity')}"[:100],
            "problem": f"People describe {theme.get('working_title', 'this problem').lower()} repeatedly.",
            "who": "Owners of small businesses",
            "workarounds": ["spreadsheets"],
            "solutions_mentioned": [],
            "willingness_to_pay": "Several say they would pay.",
            "product_idea": f"A focused tool for {theme.get('working_title', 'this job').lower()}.",
            "confidence": 0.7,
            "quotes": [*theme.get("excerpts", [])[:1], INVENTED_QUOTE],
        }
        for theme in themes
    ]
    return json.dumps({"opportunities": answers})


def _vector(text: str, dims: int = 8) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    raw = [b / 255 - 0.5 for b in digest[:dims]]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


MODELS = ("gpt-4o-mini", "text-embedding-3-small")
"""What ``GET /v1/models`` lists."""


def _handler(state: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            state.received.append(Received(self.path, {}, self.headers.get("Authorization", "")))
            if not self.headers.get("Authorization", "").startswith("Bearer "):
                self._send(401, {"error": {"message": "missing key", "type": "invalid_request_error"}})
            elif self.path.endswith("/models"):
                models = [{"id": name, "object": "model", "created": 0, "owned_by": "fake"} for name in MODELS]
                self._send(200, {"object": "list", "data": models})
            else:
                self._send(404, {"error": {"message": "unknown path", "type": "invalid_request_error"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.received.append(Received(self.path, body, self.headers.get("Authorization", "")))
            if not self.headers.get("Authorization", "").startswith("Bearer "):
                self._send(401, {"error": {"message": "missing key", "type": "invalid_request_error"}})
            elif self.path == "/tokenize" and state.tokenizer:
                self._send(200, {"tokens": list(str(body.get("content", "")).encode())})
            elif self.path.endswith("/chat/completions"):
                self._chat(body)
            elif self.path.endswith("/embeddings"):
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                rule = state.embed_rule or _vector
                data = [{"object": "embedding", "index": i, "embedding": rule(t)} for i, t in enumerate(inputs)]
                tokens = sum(math.ceil(len(t) / 4) for t in inputs)
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": data,
                        "model": body.get("model", "fake"),
                        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                    },
                )
            else:
                self._send(404, {"error": {"message": "no such route", "type": "invalid_request_error"}})

        def _chat(self, body: dict[str, Any]) -> None:
            schema_asked = (body.get("response_format") or {}).get("type") == "json_schema"
            if state.refuse_json_schema and schema_asked:
                # Refused before anything is generated: the scripted replies are for requests it serves.
                self._send(500, {"error": {"message": "json_schema is not supported", "type": "server_error"}})
                return
            script = state.next_script(body)
            if script.delay:
                time.sleep(script.delay)
            if script.html:
                raw = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
                return
            if script.status != 200:
                kind = "rate_limit_exceeded" if script.status == 429 else "server_error"
                self._send(script.status, {"error": {"message": f"scripted {script.status}", "type": kind}})
                return
            content = script.content if script.content is not None else default_answer(body)
            if script.rewrite is not None:
                content = json.dumps(script.rewrite(json.loads(content)))
            finish = "stop"
            if script.truncated:
                # Cut where max_tokens ends (four characters a token), and always before the end.
                cut = min(int(body.get("max_tokens", 0)) * 4, len(content) // 2)
                content, finish = content[:cut], "length"
            prompt = sum(math.ceil(len(m["content"]) / 4) for m in body["messages"])
            usage = {
                "prompt_tokens": script.prompt_tokens if script.prompt_tokens is not None else prompt,
                "completion_tokens": (
                    script.completion_tokens if script.completion_tokens is not None else math.ceil(len(content) / 4)
                ),
            }
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            payload: dict[str, Any] = {
                "id": f"chatcmpl-{len(state.received)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": content}}
                ],
            }
            if body.get("stream"):
                self._stream(body, script, content, finish, None if script.omit_usage else usage)
                return
            if not script.omit_usage:
                payload["usage"] = usage
            self._send(200, payload)

        def _stream(
            self, body: dict[str, Any], script: Scripted, content: str, finish: str, usage: dict[str, int] | None
        ) -> None:
            """Server-sent events as OpenAI sends them: content deltas, the finish reason, then usage if asked."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            base = {"id": "chatcmpl-stream", "object": "chat.completion.chunk", "created": 0, "model": body["model"]}
            pieces = [content[i : i + STREAM_PIECE] for i in range(0, len(content), STREAM_PIECE)] or [""]
            events: list[dict[str, Any]] = [
                {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                for piece in pieces
            ]
            events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
            if usage is not None and (body.get("stream_options") or {}).get("include_usage"):
                events.append({**base, "choices": [], "usage": usage})
            try:
                for number, event in enumerate(events):
                    if script.stall_after is not None and number == script.stall_after:
                        time.sleep(script.stall)
                    elif script.chunk_delay:
                        time.sleep(script.chunk_delay)
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                    with state.lock:
                        state.chunks_sent += 1
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                # The client hung up: a real server stops generating here.
                with state.lock:
                    state.disconnects += 1

    return Handler


class OpenAIServer:
    """The fake on an ephemeral port; ``base_url`` is what OPPSCOUT_OPENAI_BASE_URL would hold."""

    def __init__(self) -> None:
        self.state = FakeOpenAI()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The API root, ending in /v1."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> OpenAIServer:
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()

"""Mentions, DMs and voice messages, fed as raw MESSAGE_CREATE payloads without the message-content intent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oppscout.bot.discord.app import minimal_intents
from tests.bot.discord.conftest import GUILD_ID, USER_ID, Gateway, ScriptedTranscriber
from tests.bot.discord.helpers import custom_ids, texts, with_button
from tests.fakes.discord_gateway import BOT_USER_ID

MENTION = f"<@{BOT_USER_ID}>"


def open_dm(gateway: Gateway) -> dict[str, Any]:
    dm: dict[str, Any] = {"id": str(gateway.server.snowflake()), "type": 1, "recipients": []}
    gateway.server.channels[int(dm["id"])] = dm
    return dm


def test_no_privileged_intent_is_requested() -> None:
    intents = minimal_intents()
    assert not intents.message_content
    assert not intents.members
    assert not intents.presences
    assert intents.guilds and intents.guild_messages and intents.dm_messages


async def test_a_mention_starts_a_thread_from_the_message(gateway: Gateway) -> None:
    server = gateway.server
    message = server.message_create(
        channel_id=int(gateway.channel["id"]),
        user_id=USER_ID,
        guild_id=GUILD_ID,
        mentions_bot=True,
        content=f"{MENTION} what do people struggle with in r/freelance about invoicing, last 14 days, budget $5",
    )
    await gateway.dispatch("MESSAGE_CREATE", message)
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:run")))[0]
    (thread,) = server.threads()
    assert thread["id"] == message["id"]  # started from the user's own message
    assert thread["name"].startswith("🔎 what do people struggle with in r/freelance")
    assert int(question["channel_id"]) == int(thread["id"])
    assert "r/freelance" in question["content"]


async def test_messages_that_do_not_mention_the_bot_are_left_alone(gateway: Gateway) -> None:
    server = gateway.server
    before = len(server.requests)
    await gateway.dispatch(
        "MESSAGE_CREATE",
        server.message_create(
            channel_id=int(gateway.channel["id"]), user_id=USER_ID, guild_id=GUILD_ID, content="r/SaaS churn, budget $1"
        ),
    )
    await gateway.settle()
    assert len(server.requests) == before


async def test_a_dm_is_answered_in_the_dm(gateway: Gateway) -> None:
    server = gateway.server
    dm = open_dm(gateway)
    await gateway.dispatch(
        "MESSAGE_CREATE", server.message_create(channel_id=int(dm["id"]), user_id=USER_ID, content="status")
    )
    reply = (await server.wait_for(lambda: server.channel_messages(int(dm["id"]))[1:]))[0]
    assert "no analysis in this conversation yet" in reply["content"]
    assert server.threads() == []


async def test_a_voice_message_is_transcribed_echoed_and_confirmed(
    gateway: Gateway, transcriber: ScriptedTranscriber, shared_dir: Path
) -> None:
    server = gateway.server
    audio = (shared_dir / "data" / "voice" / "scan_smallbusiness_freelance.ogg").read_bytes()
    dm = open_dm(gateway)
    await gateway.dispatch(
        "MESSAGE_CREATE",
        server.message_create(channel_id=int(dm["id"]), user_id=USER_ID, voice=audio, voice_seconds=4.2),
    )
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:run")))[0]
    # The exact bytes of the voice message were downloaded from its attachment URL and transcribed.
    assert transcriber.heard == [audio]
    assert server.calls("GET", "/attachments/")
    assert server.calls("POST", f"/channels/{dm['id']}/typing")  # "Scout is typing…" while it listens
    assert question["content"].startswith(f"I heard: “{transcriber.text}”")
    # A voice request is always confirmed before it runs, even within the auto-approve budget.
    assert "Estimate" in question["content"]
    assert any(":run:" in i for i in custom_ids(question))


async def test_a_voice_reply_in_a_thread_is_understood(
    gateway: Gateway, transcriber: ScriptedTranscriber, shared_dir: Path
) -> None:
    server = gateway.server
    audio = (shared_dir / "data" / "voice" / "scan_smallbusiness_freelance.ogg").read_bytes()
    thread_id = server.snowflake()
    thread = {
        "id": str(thread_id),
        "type": 11,
        "guild_id": str(GUILD_ID),
        "parent_id": gateway.channel["id"],
        "name": "scan",
        "owner_id": str(BOT_USER_ID),
        "message_count": 0,
        "member_count": 1,
        "rate_limit_per_user": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": "2026-01-01T00:00:00+00:00",
            "locked": False,
        },
    }
    server.channels[thread_id] = thread
    await gateway.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
    # A reply to the bot pings it, which is how a voice message (no text to @mention in) reaches the bot.
    await gateway.dispatch(
        "MESSAGE_CREATE",
        server.message_create(channel_id=thread_id, user_id=USER_ID, guild_id=GUILD_ID, mentions_bot=True, voice=audio),
    )
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:run")))[0]
    assert int(question["channel_id"]) == thread_id
    assert question["content"].startswith("I heard:")


async def test_a_too_long_voice_message_is_refused_before_download(
    gateway: Gateway, transcriber: ScriptedTranscriber
) -> None:
    server = gateway.server
    dm = open_dm(gateway)
    await gateway.dispatch(
        "MESSAGE_CREATE",
        server.message_create(channel_id=int(dm["id"]), user_id=USER_ID, voice=b"OggS" + bytes(64), voice_seconds=600),
    )
    reply = (await server.wait_for(lambda: server.channel_messages(int(dm["id"]))[1:]))[0]
    assert "600 seconds long" in reply["content"]
    assert "up to 120 seconds" in reply["content"]
    assert not server.calls("GET", "/attachments/")
    assert transcriber.heard == []


async def test_a_voice_message_that_is_not_audio_gets_a_clear_answer(
    gateway: Gateway, transcriber: ScriptedTranscriber, shared_dir: Path
) -> None:
    server = gateway.server
    dm = open_dm(gateway)
    broken = (shared_dir / "data" / "voice" / "not_audio.ogg").read_bytes()
    await gateway.dispatch(
        "MESSAGE_CREATE", server.message_create(channel_id=int(dm["id"]), user_id=USER_ID, voice=broken)
    )
    reply = (await server.wait_for(lambda: server.channel_messages(int(dm["id"]))[1:]))[0]
    assert "couldn't read that audio" in reply["content"]
    assert texts(server, int(dm["id"]))[-1] == reply["content"]

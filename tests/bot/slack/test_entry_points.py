"""Every way into the Slack app, through signed HTTP requests to the real Bolt app and a fake Web API."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from oppscout.bot.render.blockkit import CANCEL_ACTION, EDIT_ACTION, RUN_ACTION
from oppscout.core.db.tables import AnalysisRow
from tests.bot.slack.conftest import SIGNING_SECRET, SlackRig, sign
from tests.fakes.slack_server import BOT_USER, FakeSlack

REQUEST = "what are people struggling with in r/smallbusiness about invoicing, last 14 days, budget $2"
CHEAP_REQUEST = "r/smallbusiness about invoicing, last 14 days, budget $0.50"


def button_ids(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] or [] if b["type"] == "actions" for e in b["elements"]]


def posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [c.args for c in fake.of("chat.postMessage")]


async def analyses(rig: SlackRig) -> int:
    async with rig.runtime.database.unit_of_work() as session:
        return int((await session.execute(select(func.count()).select_from(AnalysisRow))).scalar_one())


async def test_slash_command_posts_a_root_message_naming_who_asked_and_keeps_the_rest_in_its_thread(
    rig: SlackRig,
) -> None:
    sent = await rig.send.command(REQUEST, user="UALICE", channel="CGENERAL")
    assert sent.status == 200
    assert sent.body == ""  # acknowledged with an empty body; the answer comes as messages
    await rig.fake.wait_for(lambda f: any("Run it?" in m["text"] for m in f.messages.values()))
    root = posts(rig.fake)[0]
    assert root["channel"] == "CGENERAL"
    assert "thread_ts" not in root
    assert "<@UALICE>" in root["text"]
    assert "invoicing" in root["text"]
    root_ts = next(iter(rig.fake.messages))
    # Every later post is in the root's thread.
    for args in posts(rig.fake)[1:]:
        assert args["thread_ts"] == root_ts
    confirmation = rig.thread_messages(root_ts)[-1]
    assert "r/smallbusiness" in confirmation["text"]
    assert button_ids(confirmation) == [RUN_ACTION, EDIT_ACTION, CANCEL_ACTION]
    # The root message is then updated with what was understood.
    await rig.fake.wait_for(lambda f: bool(f.of("chat.update")))
    assert "understood" in rig.fake.messages[root_ts]["text"].lower()


async def test_empty_slash_command_shows_help_only_to_the_asker(rig: SlackRig) -> None:
    sent = await rig.send.command("", user="UBOB")
    assert sent.status == 200
    await rig.fake.wait_for(lambda f: bool(f.of("chat.postEphemeral")))
    help_call = rig.fake.of("chat.postEphemeral")[0].args
    assert help_call["user"] == "UBOB"
    assert "r/smallbusiness" in help_call["text"]
    assert posts(rig.fake) == []


async def test_mention_is_answered_in_a_thread_under_the_mention(rig: SlackRig) -> None:
    event = {"type": "app_mention", "user": "UALICE", "text": f"<@{BOT_USER}> {REQUEST}", "ts": "1699999999.000100",
             "channel": "CGENERAL", "event_ts": "1699999999.000100"}  # fmt: skip
    sent = await rig.send.event(event)
    assert sent.status == 200
    await rig.fake.wait_for(lambda f: any("Run it?" in m["text"] for m in f.messages.values()))
    assert [p["thread_ts"] for p in posts(rig.fake)] == ["1699999999.000100"] * len(posts(rig.fake))
    assert f"<@{BOT_USER}>" not in rig.texts("1699999999.000100")[0]


async def test_thread_replies_continue_the_dialog_but_other_channel_talk_is_ignored(rig: SlackRig) -> None:
    mention = {"type": "app_mention", "user": "UALICE", "text": f"<@{BOT_USER}> what hurts about invoicing?",
               "ts": "1699999999.000200", "channel": "CGENERAL"}  # fmt: skip
    await rig.send.event(mention)
    await rig.fake.wait_for(lambda f: any("subreddit" in m["text"].lower() for m in f.messages.values()))
    # Someone else's thread in the same channel: not ours, no answer.
    await rig.send.event({"type": "message", "channel_type": "channel", "user": "UCAROL", "text": "r/freelance",
                          "ts": "1699999999.000300", "thread_ts": "1699999999.000250", "parent_user_id": "UCAROL",
                          "channel": "CGENERAL"})  # fmt: skip
    # A plain channel message: not for the bot either.
    await rig.send.event({"type": "message", "channel_type": "channel", "user": "UCAROL", "text": "lunch?",
                          "ts": "1699999999.000310", "channel": "CGENERAL"})  # fmt: skip
    # The reply in the bot's thread is answered there.
    before = len(posts(rig.fake))
    await rig.send.event({"type": "message", "channel_type": "channel", "user": "UALICE",
                          "text": "r/smallbusiness, last 14 days, budget $2", "ts": "1699999999.000400",
                          "thread_ts": "1699999999.000200", "parent_user_id": "UALICE", "channel": "CGENERAL"})  # fmt: skip
    await rig.fake.wait_for(lambda f: any("Run it?" in m["text"] for m in f.messages.values()))
    new = posts(rig.fake)[before:]
    assert new
    assert {p["thread_ts"] for p in new} == {"1699999999.000200"}
    assert all(p["thread_ts"] != "1699999999.000250" for p in posts(rig.fake))


async def test_a_direct_message_is_answered_in_the_dm_and_a_yes_typed_there_continues_it(rig: SlackRig) -> None:
    await rig.send.event({"type": "message", "channel_type": "im", "user": "UALICE", "text": REQUEST,
                          "ts": "1699999999.000500", "channel": "DALICE", "client_msg_id": "m-1"})  # fmt: skip
    await rig.fake.wait_for(lambda f: any("Run it?" in m["text"] for m in f.messages.values()))
    # In a DM the conversation is the DM itself: no thread under the person's message.
    assert {(p["channel"], p.get("thread_ts")) for p in posts(rig.fake)} == {("DALICE", None)}
    # "yes" typed in the DM's main box answers the pending confirmation.
    await rig.send.event({"type": "message", "channel_type": "im", "user": "UALICE", "text": "yes",
                          "ts": "1699999999.000510", "channel": "DALICE", "client_msg_id": "m-2"})  # fmt: skip
    await rig.fake.wait_for(lambda f: any(m["text"].startswith("Starting") for m in f.messages.values()))
    assert await analyses(rig) == 1
    assert not any("Which subreddits" in t or "no analysis in this conversation" in t for t in rig.dm_texts("DALICE"))
    assert all(p.get("thread_ts") is None for p in posts(rig.fake) if p["channel"] == "DALICE")


async def test_voice_clip_is_downloaded_with_the_bot_token_transcribed_echoed_and_confirmed(rig: SlackRig) -> None:
    audio = b"OggS\x00fake-opus-voice-note"
    rig.transcriber.heard[audio] = "r/smallbusiness about invoicing, last 14 days, budget $0.50"
    url = rig.fake.add_file("voice.ogg", audio, "audio/ogg")
    clip = {"id": "FVOICE", "name": "audio_message.ogg", "mimetype": "audio/ogg", "filetype": "ogg", "size": len(audio),
            "url_private": url, "url_private_download": url, "subtype": "slack_audio"}  # fmt: skip
    await rig.send.event({"type": "message", "subtype": "file_share", "channel_type": "im", "user": "UALICE",
                          "text": "", "files": [clip], "ts": "1699999999.000600", "channel": "DALICE"})  # fmt: skip
    await rig.fake.wait_for(lambda f: any("Run it?" in m["text"] for m in f.messages.values()))
    assert rig.fake.downloads == [f"Bearer {rig.settings.slack_bot_token.get_secret_value()}"]  # type: ignore[union-attr]
    assert rig.transcriber.received == [(audio, "audio_message.ogg")]
    texts = rig.dm_texts("DALICE")
    assert texts[0].startswith("I heard:")
    assert "invoicing" in texts[0]
    # A voice request is always confirmed first, even under the auto-approve budget.
    assert button_ids(rig.dm_messages("DALICE")[-1]) == [RUN_ACTION, EDIT_ACTION, CANCEL_ACTION]
    assert await analyses(rig) == 0


async def test_unintelligible_clip_gets_the_transcribers_explanation(rig: SlackRig) -> None:
    url = rig.fake.add_file("noise.m4a", b"not speech", "audio/mp4")
    clip = {"id": "FNOISE", "name": "noise.m4a", "mimetype": "audio/mp4", "filetype": "m4a", "size": 10,
            "url_private_download": url}  # fmt: skip
    await rig.send.event({"type": "message", "subtype": "file_share", "channel_type": "im", "user": "UALICE",
                          "text": "", "files": [clip], "ts": "1699999999.000700", "channel": "DALICE"})  # fmt: skip
    await rig.fake.wait_for(lambda f: bool(f.of("chat.postMessage")))
    assert rig.dm_texts("DALICE") == ["I couldn't make out any speech in that clip."]


async def test_retried_delivery_never_starts_a_second_analysis(rig: SlackRig) -> None:
    event = {"type": "app_mention", "user": "UALICE", "text": f"<@{BOT_USER}> {CHEAP_REQUEST}",
             "ts": "1699999999.000800", "channel": "CGENERAL"}  # fmt: skip
    first = await rig.send.event(event, event_id="EvSAME")
    await rig.fake.wait_for(lambda f: any(m["text"].startswith("Starting") for m in f.messages.values()))
    retry = await rig.send.event(event, event_id="EvSAME", retry_num=1)
    again = await rig.send.event(event, event_id="EvSAME", retry_num=2)
    assert (first.status, retry.status, again.status) == (200, 200, 200)
    # A later, different event makes sure the retries had their chance to (wrongly) post.
    await rig.send.event({"type": "app_mention", "user": "UBOB", "text": f"<@{BOT_USER}> help",
                          "ts": "1699999999.000900", "channel": "CGENERAL"})  # fmt: skip
    await rig.fake.wait_for(
        lambda f: any(p.args.get("thread_ts") == "1699999999.000900" for p in f.of("chat.postMessage"))
    )
    assert await analyses(rig) == 1
    starts = [t for t in rig.texts("1699999999.000800") if t.startswith("Starting")]
    assert len(starts) == 1


async def test_bad_or_stale_signatures_are_refused_with_401(rig: SlackRig) -> None:
    forged = await rig.send.command(REQUEST, signature="v0=" + "0" * 64)
    stale_ts = int(time.time()) - 10 * 60
    body = "token=x&team_id=T0001&user_id=UALICE&command=%2Fscout&text=hello&channel_id=CGENERAL"
    stale = await rig.send.send(
        body,
        "application/x-www-form-urlencoded",
        timestamp=stale_ts,
        signature=sign(SIGNING_SECRET, str(stale_ts), body),
    )
    wrong_secret = await rig.send.send(
        body, "application/x-www-form-urlencoded", signature=sign("not-the-secret", "1", body)
    )
    assert (forged.status, stale.status, wrong_secret.status) == (401, 401, 401)
    assert rig.fake.of("chat.postMessage") == []


async def test_the_bots_own_messages_are_ignored(rig: SlackRig) -> None:
    await rig.send.event({"type": "message", "channel_type": "im", "user": BOT_USER, "bot_id": "BBOT",
                          "text": "Here's what I understood", "ts": "1699999999.001000", "channel": "DALICE"})  # fmt: skip
    await rig.send.event({"type": "message", "channel_type": "im", "user": "UALICE", "text": "help",
                          "ts": "1699999999.001100", "channel": "DALICE"})  # fmt: skip
    await rig.fake.wait_for(lambda f: bool(f.of("chat.postMessage")))
    # One answer, to the person's "help" (in the DM itself); the bot's own message got none.
    assert len(posts(rig.fake)) == 1
    assert "I find product opportunities" in posts(rig.fake)[0]["text"]


async def test_not_in_channel_is_explained_to_the_user_in_a_dm(rig: SlackRig) -> None:
    rig.fake.not_in_channel.add("CPRIVATE")
    sent = await rig.send.command(REQUEST, user="UALICE", channel="CPRIVATE")
    assert sent.status == 200
    await rig.fake.wait_for(lambda f: any(p.args["channel"] == "DUALICE" for p in f.of("chat.postMessage")))
    assert rig.fake.of("conversations.open")[0].args["users"] == "UALICE"
    dm = next(p.args for p in rig.fake.of("chat.postMessage") if p.args["channel"] == "DUALICE")
    assert "/invite" in dm["text"]
    assert "<#CPRIVATE>" in dm["text"]

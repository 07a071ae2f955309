"""Slack-encoded text is decoded before parsing: entities, links (reddit ones name subreddits), mentions."""

from __future__ import annotations

import pytest

from oppscout.bot.render.blockkit import home_view
from oppscout.bot.slack.markup import decode
from tests.bot.slack.conftest import SlackRig
from tests.fakes.slack_server import BOT_USER


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("invoices &amp; late fees", "invoices & late fees"),
        ("<https://www.reddit.com/r/freelance/|reddit.com/r/freelance> about tax", "r/freelance about tax"),
        ("<https://old.reddit.com/r/SaaS/comments/abc/x/> churn", "r/SaaS churn"),
        ("<!channel> r/SaaS <@U0123|bob> <#C0456|general> churn", "r/SaaS churn"),
        ("see <https://example.com/a?b=1&amp;c=2|the docs>", "see the docs"),
        ("a typed &lt;b&gt; stays text, &amp;lt; too", "a typed <b> stays text, &lt; too"),
        ("<!date^1392734382^{date}|Feb 18, 2014> and <!subteam^S1|@team>", "Feb 18, 2014 and"),
    ],
)
def test_slack_text_is_decoded_to_what_was_typed(sent: str, typed: str) -> None:
    assert decode(sent) == typed


def test_app_home_text_is_escaped_so_nothing_reads_as_a_link() -> None:
    view = home_view([], "Spend", [])
    footer = view["blocks"][-1]["elements"][0]["text"]
    assert "/scout &lt;request&gt;" in footer


async def test_a_slack_encoded_mention_is_understood_as_typed(rig: SlackRig) -> None:
    text = (f"<@{BOT_USER}> <!channel> invoices &amp; late fees in "
            "<https://www.reddit.com/r/freelance/|reddit.com/r/freelance>, last 14 days, budget $2")  # fmt: skip
    await rig.send.event({"type": "app_mention", "user": "UALICE", "text": text, "ts": "1699999999.000100",
                          "channel": "CGENERAL"})  # fmt: skip
    await rig.fake.wait_for(lambda f: any("Run it?" in m["text"] for m in f.messages.values()))
    question = next(t for t in rig.texts("1699999999.000100") if "Run it?" in t)
    assert "r/freelance" in question
    assert "amp" not in question.replace("&amp;", "&")
    assert "channel" not in question


async def test_a_slack_encoded_slash_command_is_echoed_once_escaped(rig: SlackRig) -> None:
    await rig.send.command("r/freelance about invoices &amp; late fees, budget $2", user="UALICE")
    await rig.fake.wait_for(lambda f: any("Run it?" in m["text"] for m in f.messages.values()))
    root = next(iter(rig.fake.messages.values()))
    assert "invoices &amp; late fees" in root["text"]  # escaped once for mrkdwn, not "&amp;amp;"
    assert "&amp;amp;" not in root["text"]


async def test_a_40000_character_message_event_is_accepted_and_answered(rig: SlackRig) -> None:
    # Slack's longest message, in emoji (12 bytes each once JSON-escaped), repeated in the event's blocks
    # (rich text as typed, and a section as an app posts it): well over aiohttp's 1 MiB default body.
    long_text = f"<@{BOT_USER}> r/freelance about invoicing " + "😀" * 39_950
    blocks = [{"type": "rich_text", "elements": [{"type": "rich_text_section",
                                                  "elements": [{"type": "text", "text": long_text}]}]},
              {"type": "section", "text": {"type": "mrkdwn", "text": long_text}}]  # fmt: skip
    sent = await rig.send.event({"type": "app_mention", "user": "UALICE", "text": long_text, "blocks": blocks,
                                 "ts": "1699999999.000500", "channel": "CGENERAL"})  # fmt: skip
    assert sent.status == 200
    await rig.fake.wait_for(lambda f: bool(rig.texts("1699999999.000500")))

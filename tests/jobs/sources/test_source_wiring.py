"""Choosing and checking the source: build_source and `oppscout doctor` for reddit and dump."""

from __future__ import annotations

from pydantic import SecretStr

from oppscout.core.settings import Settings
from oppscout.doctor import _source
from oppscout.jobs.sources.dump import DumpSource
from oppscout.jobs.sources.reddit import RedditSource
from oppscout.runtime import build_source
from tests.fakes.reddit_server import FakeRedditServer
from tests.jobs.sources.conftest import reddit_settings


async def test_doctor_checks_reddit_for_real(settings: Settings, small_fake: FakeRedditServer) -> None:
    good = await _source(reddit_settings(settings, small_fake))
    bad = await _source(reddit_settings(settings, small_fake, reddit_client_secret=SecretStr("wrong")))
    missing = await _source(settings.model_copy(update={"source": "reddit"}))

    assert good.state == "ok" and "answers as 'server:oppscout:0.1.0 (by /u/oppscout_tests)'" in good.detail
    assert "requests left" in good.detail
    assert bad.state == "down" and small_fake.url in bad.detail
    assert missing.state == "down" and "OPPSCOUT_REDDIT_CLIENT_ID" in missing.detail


async def test_doctor_says_when_nothing_was_imported_for_the_dump_source(settings: Settings) -> None:
    check = await _source(settings.model_copy(update={"source": "dump"}))

    assert check.state == "down" and "oppscout import FILE" in check.detail


async def test_build_source_picks_the_configured_source(settings: Settings, small_fake: FakeRedditServer) -> None:
    reddit = build_source(reddit_settings(settings, small_fake))
    dump = build_source(settings.model_copy(update={"source": "dump"}))

    assert isinstance(reddit, RedditSource) and reddit.name == "reddit"
    assert isinstance(dump, DumpSource) and dump.name == "dump"
    await reddit.close()
    await dump.close()

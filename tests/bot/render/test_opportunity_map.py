"""The opportunity-map PNG attached in chat."""

from __future__ import annotations

import struct

from oppscout.bot.render.opportunity_map import axes_of, render_map, render_opportunity_map
from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.contract import OpportunityResults
from oppscout.jobs.sources.demo import DemoSource
from tests.core.analysis.builders import NOW, request


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def _progress(done: int, expected: int, message: str | None = None) -> None:
    return None


async def test_the_demo_map_is_a_png_placing_each_opportunity_by_its_score_parts() -> None:
    source = DemoSource(now=NOW)
    req = request(["smallbusiness", "freelance", "SaaS"])
    posts = (await source.fetch_posts(req, _progress)).posts
    comments = (await source.fetch_comments(posts, 30, _progress)).comments
    results = await LocalEngine().analyze(posts + comments, req)
    assert results.opportunities
    width, height = _png_size(render_map(results))
    assert width >= 800 and height >= 600
    for opp in results.opportunities:
        x, y, money = axes_of(opp)
        assert 0 <= x <= 1 and 0 <= y <= 1 and 0 <= money <= 1
    # The biggest theme has the most demand on the map.
    demand = [axes_of(o)[1] for o in results.opportunities]
    most_people = max(results.opportunities, key=lambda o: o.distinct_authors)
    assert axes_of(most_people)[1] == max(demand)


def test_an_empty_analysis_still_gets_a_map() -> None:
    assert _png_size(render_map(OpportunityResults()))[0] > 0


def test_a_summary_without_opportunities_attaches_no_map() -> None:
    assert render_opportunity_map(OpportunityResults()) is None

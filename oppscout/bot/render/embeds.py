"""Discord embeds for a finished analysis, as the wire format (plain dicts), kept within Discord's limits.

Discord rejects a whole message when one embed breaks a limit, so everything here is cut to size
before it leaves: at most 10 embeds and 6,000 characters per message, titles ≤ 256, descriptions
≤ 4,096, at most 25 fields with names ≤ 256 and values ≤ 1,024, footers ≤ 2,048.
"""

from __future__ import annotations

from typing import Any

from oppscout.bot.render.text import cost_line, coverage_line
from oppscout.core.contract import CostBreakdown, Opportunity, OpportunityResults
from oppscout.core.wording import EMPTY_RESULT, opportunities_heading

MAX_EMBEDS = 10
MAX_TOTAL_CHARS = 6000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
# One embed is the header; the rest show one opportunity each.
MAX_OPPORTUNITY_EMBEDS = MAX_EMBEDS - 1
# Each opportunity's description is kept short so that nine of them still fit in 6,000 characters.
OPPORTUNITY_DESCRIPTION_CHARS = 300
QUOTE_CHARS = 280
# The header leaves most of the 6,000 characters to the opportunities themselves.
HEADER_DESCRIPTION_CHARS = 1500

Embed = dict[str, Any]
COLOR_HEADER = 0x5865F2
COLOR_OPPORTUNITY = 0x57F287


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def embed_chars(embed: Embed) -> int:
    """The characters Discord counts towards the 6,000 limit: title, description, fields, footer, author."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in embed.get("fields", []))
    total += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    return total


def fit(embeds: list[Embed]) -> list[Embed]:
    """Apply every per-embed limit, then drop trailing embeds until the message fits; never drops the first."""
    fitted: list[Embed] = []
    for embed in embeds[:MAX_EMBEDS]:
        out = dict(embed)
        if "title" in out:
            out["title"] = clip(out["title"], MAX_TITLE)
        if "description" in out:
            out["description"] = clip(out["description"], MAX_DESCRIPTION)
        if "fields" in out:
            out["fields"] = [
                {**f, "name": clip(f["name"], MAX_FIELD_NAME) or "—", "value": clip(f["value"], MAX_FIELD_VALUE) or "—"}
                for f in out["fields"][:MAX_FIELDS]
            ]
        if "footer" in out:
            out["footer"] = {**out["footer"], "text": clip(out["footer"]["text"], MAX_FOOTER)}
        fitted.append(out)
    while len(fitted) > 1 and sum(embed_chars(e) for e in fitted) > MAX_TOTAL_CHARS:
        fitted.pop()
    if fitted and embed_chars(fitted[0]) > MAX_TOTAL_CHARS:
        fitted[0]["description"] = clip(fitted[0].get("description", ""), MAX_TOTAL_CHARS // 2)
    return fitted


def opportunity_embed(rank: int, opp: Opportunity) -> Embed:
    """One opportunity: title with score, the problem, a verbatim quote with its permalink, phrases, idea."""
    fields: list[dict[str, Any]] = []
    if opp.quotes:
        quote = opp.quotes[0]
        fields.append(
            {
                "name": f"Evidence · u/{quote.author} in r/{quote.subreddit}",
                # The quote stays verbatim; only its length is cut, and the link always survives.
                "value": f"> {clip(quote.text, QUOTE_CHARS)}\n[permalink]({quote.permalink})",
                "inline": False,
            }
        )
    fields.append(
        {
            "name": "Signal",
            "value": f"{opp.mentions} mentions · {opp.distinct_authors} people · "
            + ", ".join(f"r/{s}" for s in opp.subreddits),
            "inline": False,
        }
    )
    if opp.key_phrases:
        fields.append({"name": "Phrases", "value": ", ".join(opp.key_phrases[:8]), "inline": False})
    if opp.product_idea:
        fields.append({"name": "Product idea", "value": opp.product_idea, "inline": False})
    return {
        "title": f"#{rank} · {opp.title} — {opp.score}/100",
        "description": clip(opp.problem, OPPORTUNITY_DESCRIPTION_CHARS),
        "color": COLOR_OPPORTUNITY,
        "fields": fields,
    }


def summary_embeds(results: OpportunityResults, cost: CostBreakdown, *, analysis_id: str) -> list[Embed]:
    """The summary of a finished analysis: a header embed, then the top opportunities, within limits."""
    subs = ", ".join(f"r/{s}" for s in results.coverage.subreddits) or "your subreddits"
    lines = [coverage_line(results), *results.notes]
    if not results.opportunities:
        lines.append(EMPTY_RESULT)
    shown = results.opportunities[:MAX_OPPORTUNITY_EMBEDS]
    note = ""
    embeds: list[Embed] = []
    # Saying how many did not fit can itself push one more out, so settle on a count that is true.
    for _ in range(3):
        header: Embed = {
            "title": opportunities_heading(len(results.opportunities), subs),
            # The body is cut first so that the count of what did not fit is never cut off.
            "description": clip("\n".join(lines), HEADER_DESCRIPTION_CHARS) + (f"\n{note}" if note else ""),
            "color": COLOR_HEADER,
            "footer": {"text": f"Cost {cost_line(cost)} · analysis {analysis_id}"},
        }
        embeds = fit([header, *(opportunity_embed(rank, opp) for rank, opp in enumerate(shown, 1))])
        hidden = len(results.opportunities) - shown_opportunities(embeds)
        wanted = f"{hidden} more in the attached report." if hidden > 0 else ""
        if wanted == note:
            break
        note = wanted
    return embeds


def shown_opportunities(embeds: list[Embed]) -> int:
    """How many opportunities a summary shows (every embed after the header is one)."""
    return max(0, len(embeds) - 1)

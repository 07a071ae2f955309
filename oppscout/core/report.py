"""The Markdown report of a finished analysis (platform-neutral; every interface can attach it)."""

from __future__ import annotations

from oppscout.core.contract import AnalysisRequest, CostBreakdown, OpportunityResults
from oppscout.core.wording import plural


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def render_markdown(
    analysis_id: str, request: AnalysisRequest, results: OpportunityResults, cost: CostBreakdown
) -> str:
    """A self-contained Markdown report: ranking table, then each opportunity with its evidence."""
    subs = ", ".join(f"r/{s}" for s in request.subreddits)
    window = f"{request.time_range.start:%Y-%m-%d %H:%M} to {request.time_range.end:%Y-%m-%d %H:%M} UTC"
    lines = [
        f"# Opportunity report: {subs}",
        "",
        f"- Analysis: `{analysis_id}`",
        f"- Window: {window}",
        f"- Keywords: {', '.join(request.keywords) if request.keywords else 'none'}",
        f"- Read: {plural(results.coverage.posts, 'post')} and {plural(results.coverage.comments, 'comment')}"
        + (" (truncated by Reddit's listing limit)" if results.coverage.truncated else ""),
        f"- Engine: {results.engine}",
        f"- Cost: ${cost.total:.4f} of a ${cost.budget:.2f} budget ({cost.reddit_calls} Reddit calls, "
        f"{cost.llm_tokens_in + cost.llm_tokens_out} LLM tokens)",
        "",
    ]
    for note in results.notes:
        lines.append(f"> {note}")
    if results.notes:
        lines.append("")
    if not results.opportunities:
        lines.append("No clear opportunities in this window. Try a longer window or fewer keywords.")
        return "\n".join(lines) + "\n"
    lines += ["| # | Score | Opportunity | Mentions | People |", "|---|---|---|---|---|"]
    for rank, opp in enumerate(results.opportunities, 1):
        lines.append(f"| {rank} | {opp.score} | {_cell(opp.title)} | {opp.mentions} | {opp.distinct_authors} |")
    for rank, opp in enumerate(results.opportunities, 1):
        lines += ["", f"## {rank}. {opp.title} — {opp.score}/100", "", opp.problem, ""]
        if opp.key_phrases:
            lines.append(f"**Phrases:** {', '.join(opp.key_phrases)}")
        if opp.score_breakdown:
            parts = ", ".join(f"{k} {v:.0f}" for k, v in opp.score_breakdown.items())
            lines.append(f"**Score parts:** {parts}")
        if opp.who_has_it:
            lines.append(f"**Who has it:** {opp.who_has_it}")
        if opp.workarounds:
            lines.append(f"**Workarounds today:** {'; '.join(opp.workarounds)}")
        if opp.solutions_mentioned:
            lines.append(f"**Solutions mentioned:** {'; '.join(opp.solutions_mentioned)}")
        if opp.willingness_to_pay:
            lines.append(f"**Willingness to pay:** {opp.willingness_to_pay}")
        if opp.product_idea:
            lines.append(f"**Product idea:** {opp.product_idea}")
        if opp.confidence is not None:
            lines.append(f"**Model confidence:** {opp.confidence:.0%}")
        lines.append("")
        for quote in opp.quotes:
            lines.append(f"> {_cell(quote.text)}")
            lines.append(f"> — u/{quote.author} in r/{quote.subreddit}, [link]({quote.permalink})")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"

"""The slash commands. Each one only hands its options to ``DiscordHandlers``."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from oppscout.bot.discord.handlers import DiscordHandlers

WINDOWS = [
    app_commands.Choice(name="last 24 hours", value=1),
    app_commands.Choice(name="last 7 days", value=7),
    app_commands.Choice(name="last 14 days", value=14),
    app_commands.Choice(name="last 30 days", value=30),
    app_commands.Choice(name="last 90 days", value=90),
    app_commands.Choice(name="last year", value=365),
]


class ScoutCommands(commands.Cog):
    """``/scout``, ``/scout-scan``, ``/scout-status``, ``/scout-cancel``, ``/scout-watch``, ``/scout-spend``, ``/scout-help``."""

    def __init__(self, handlers: DiscordHandlers) -> None:
        self.handlers = handlers

    @app_commands.command(name="scout", description="Ask in your own words what to look for on Reddit.")
    @app_commands.describe(
        request="e.g. what do people struggle with in r/smallbusiness about invoicing, last two weeks, budget $2"
    )
    async def scout(self, interaction: discord.Interaction[Any], request: app_commands.Range[str, 1, 1000]) -> None:
        """Start a conversation in a new thread."""
        await self.handlers.scout(interaction, request)

    @app_commands.command(name="scout-scan", description="Scan subreddits with every option as a field.")
    @app_commands.describe(
        subreddits="Subreddits separated by commas, e.g. smallbusiness, freelance",
        window="How far back to look",
        keywords="Optional keywords separated by commas, e.g. invoicing, late payments",
        budget="Most the scan may spend, in USD",
    )
    @app_commands.choices(window=WINDOWS)
    async def scan(
        self,
        interaction: discord.Interaction[Any],
        subreddits: app_commands.Range[str, 2, 300],
        window: app_commands.Choice[int] | None = None,
        keywords: app_commands.Range[str, 1, 500] | None = None,
        budget: app_commands.Range[float, 0, 1000] | None = None,
    ) -> None:
        """Start an analysis straight away."""
        await self.handlers.scan(interaction, subreddits, window.value if window else None, keywords, budget)

    @scan.autocomplete("subreddits")
    async def _subreddits(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        values = await self.handlers.subreddit_choices(interaction, current)
        return [app_commands.Choice(name=v[:100], value=v) for v in values]

    @app_commands.command(name="scout-status", description="How the analysis of this thread (or your latest) is going.")
    @app_commands.describe(analysis="An analysis id, when it is not this thread's")
    async def status(self, interaction: discord.Interaction[Any], analysis: str | None = None) -> None:
        """Report on an analysis."""
        await self.handlers.status(interaction, analysis)

    @app_commands.command(name="scout-cancel", description="Stop the analysis of this thread (or your latest).")
    @app_commands.describe(analysis="An analysis id, when it is not this thread's")
    async def cancel(self, interaction: discord.Interaction[Any], analysis: str | None = None) -> None:
        """Cancel an analysis."""
        await self.handlers.cancel(interaction, analysis)

    @status.autocomplete("analysis")
    @cancel.autocomplete("analysis")
    async def _analyses(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        choices = await self.handlers.analysis_choices(interaction, current)
        return [app_commands.Choice(name=label[:100], value=value) for label, value in choices]

    @app_commands.command(
        name="scout-watch", description="Re-run a scan on a schedule and tell me when something shows up."
    )
    @app_commands.describe(request="e.g. r/SaaS churn, weekly, tell me above score 70")
    async def watch(self, interaction: discord.Interaction[Any], request: app_commands.Range[str, 1, 1000]) -> None:
        """Ask for a watch."""
        await self.handlers.watch(interaction, request)

    @app_commands.command(name="scout-spend", description="What analyses here have cost.")
    async def spend(self, interaction: discord.Interaction[Any]) -> None:
        """Report spend."""
        await self.handlers.spend(interaction)

    @app_commands.command(name="scout-help", description="What I can do, with examples.")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        """Show help privately."""
        await self.handlers.help(interaction)

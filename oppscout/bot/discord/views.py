"""Buttons and the edit form. Their state lives in ``custom_id``, so they work on any message, even after a restart.

Run / Edit / Cancel answer the dialog's confirmation (as typed commands, the Edit form as fields); 👍 / 👎 under a summary rate one opportunity.
Workers attach the vote buttons to the summaries they post over REST; the bot process, which
holds the gateway, receives the clicks through these dynamic items.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol, cast

import discord

from oppscout.bot.discord.errors import report_error
from oppscout.core.conversation.state import FormFields

if TYPE_CHECKING:
    from oppscout.bot.discord.handlers import DiscordHandlers

CONFIRM_ACTIONS = {
    "run": ("Run", discord.ButtonStyle.success),
    "edit": ("Edit", discord.ButtonStyle.secondary),
    "cancel": ("Cancel", discord.ButtonStyle.danger),
}
# Discord shows at most five rows of five buttons; two opportunities (four buttons) per row.
MAX_VOTED_OPPORTUNITIES = 10


class _HasHandlers(Protocol):
    handlers: DiscordHandlers


def handlers_of(interaction: discord.Interaction[Any]) -> DiscordHandlers:
    """The handlers of the bot that received ``interaction``."""
    return cast(_HasHandlers, interaction.client).handlers


class ConfirmButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(r"oppscout:confirm:(?P<action>run|edit|cancel):(?P<owner>\d+)"),
):
    """Run, Edit or Cancel the request the dialog is confirming in this conversation.

    ``owner`` is who asked; only they may press it unless ``discord_buttons_owner_only`` is off (then the
    conversation is still recorded as theirs whoever clicks).
    """

    def __init__(self, action: str, owner: int) -> None:
        label, style = CONFIRM_ACTIONS[action]
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"oppscout:confirm:{action}:{owner}"))
        self.action, self.owner = action, owner

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ConfirmButton:
        """Rebuild the button from a click."""
        return cls(match["action"], int(match["owner"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the handlers; errors go to the central handler."""
        try:
            await handlers_of(interaction).confirm(interaction, self.action, self.owner)
        except Exception as error:  # noqa: BLE001 - one central handler answers every failure
            await report_error(interaction, error)


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(r"oppscout:vote:(?P<analysis>[0-9a-f]{8,64}):(?P<rank>\d{1,3}):(?P<vote>up|down)"),
):
    """👍 or 👎 for the opportunity at ``rank`` of an analysis."""

    def __init__(self, analysis_id: str, rank: int, vote: str) -> None:
        emoji = "👍" if vote == "up" else "👎"
        super().__init__(
            discord.ui.Button(
                label=f"{rank}",
                emoji=emoji,
                style=discord.ButtonStyle.secondary,
                custom_id=f"oppscout:vote:{analysis_id}:{rank}:{vote}",
                row=min(4, (rank - 1) // 2),
            )
        )
        self.analysis_id, self.rank, self.vote = analysis_id, rank, vote

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        """Rebuild the button from a click."""
        return cls(match["analysis"], int(match["rank"]), match["vote"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Store the vote as feedback."""
        try:
            await handlers_of(interaction).vote(interaction, self.analysis_id, self.rank, self.vote)
        except Exception as error:  # noqa: BLE001 - one central handler answers every failure
            await report_error(interaction, error)


class EditModal(discord.ui.Modal, title="Change the request"):
    """The request's fields, pre-filled from the draft; submitted as fields (an ``EditDraft``), never as a sentence."""

    def __init__(self, owner: int, form: FormFields | None = None) -> None:
        super().__init__(custom_id=f"oppscout:edit:{owner}")
        self.owner = owner
        form = form or FormFields()
        self.subreddits: discord.ui.TextInput[EditModal] = discord.ui.TextInput(
            label="Subreddits", default=form.subreddits or None, placeholder="r/smallbusiness r/freelance",
            max_length=400, custom_id="oppscout:edit:subreddits",
        )  # fmt: skip
        self.keywords: discord.ui.TextInput[EditModal] = discord.ui.TextInput(
            label="Keywords (comma separated)", default=form.keywords or None, placeholder="invoicing, late payments",
            required=False, max_length=400, custom_id="oppscout:edit:keywords",
        )  # fmt: skip
        self.days: discord.ui.TextInput[EditModal] = discord.ui.TextInput(
            label="Window (days)", default=form.days or None, placeholder="14", required=False, max_length=10,
            custom_id="oppscout:edit:days",
        )  # fmt: skip
        self.budget: discord.ui.TextInput[EditModal] = discord.ui.TextInput(
            label="Budget (USD)", default=form.budget or None, placeholder="2", required=False, max_length=20,
            custom_id="oppscout:edit:budget",
        )  # fmt: skip
        for item in (self.subreddits, self.keywords, self.days, self.budget):
            self.add_item(item)

    def form(self) -> FormFields:
        """What the person left in the fields."""
        return FormFields(
            subreddits=self.subreddits.value, keywords=self.keywords.value, days=self.days.value,
            budget=self.budget.value,
        )  # fmt: skip

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Send the fields to the dialog, which confirms again."""
        await handlers_of(interaction).edit_submitted(interaction, self.form(), self.owner)

    # discord.py calls a modal's on_error without an item, as Modal itself declares.
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        """Errors go to the central handler."""
        await report_error(interaction, error)


def confirm_view(owner: int) -> discord.ui.View:
    """Run / Edit / Cancel under a confirmation question asked of ``owner``."""
    view = discord.ui.View(timeout=None)
    for action in CONFIRM_ACTIONS:
        view.add_item(ConfirmButton(action, owner))
    return view


def feedback_view(analysis_id: str, opportunities: int) -> discord.ui.View | None:
    """👍 / 👎 per shown opportunity (None when there is nothing to rate)."""
    count = min(opportunities, MAX_VOTED_OPPORTUNITIES)
    if count <= 0:
        return None
    view = discord.ui.View(timeout=None)
    for rank in range(1, count + 1):
        view.add_item(VoteButton(analysis_id, rank, "up"))
        view.add_item(VoteButton(analysis_id, rank, "down"))
    return view

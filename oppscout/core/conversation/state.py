"""The typed dialog state of one thread, and the form fields a confirmation can be edited with.

The database keeps the state as JSON; this model is how everything outside the dialog reads it.
Adapters ask ``ChatService.dialog_state`` and use ``confirming`` and ``form``; they never decode
the stored dictionary themselves.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from oppscout.core.conversation.commands import EditDraft
from oppscout.core.errors import InvalidRequestError

Phase = Literal["idle", "clarifying", "confirming"]


class Draft(BaseModel):
    """The request being put together: only what the person said (defaults are filled in when it runs)."""

    model_config = ConfigDict(extra="allow")

    subreddits: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    max_cost: Decimal | None = None
    watch: dict[str, Any] | None = None

    @property
    def days(self) -> int | None:
        """The window in whole days (at least 1), None when none was said."""
        if self.start is None or self.end is None:
            return None
        return max(1, round((self.end - self.start).total_seconds() / 86400))


class DialogState(BaseModel):
    """Where a thread's dialog stands."""

    model_config = ConfigDict(extra="allow")

    phase: Phase = "idle"
    draft: Draft = Field(default_factory=Draft)
    confirm: bool = False

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> DialogState:
        """The typed view of the JSON kept in the database (an empty dict is an idle thread)."""
        return cls.model_validate(stored or {})

    @property
    def confirming(self) -> bool:
        """Whether a request waits for Run / Edit / Cancel."""
        return self.phase == "confirming"

    @property
    def active(self) -> bool:
        """Whether the dialog is asking or confirming something (so a button or form has a purpose)."""
        return self.phase != "idle"

    def form(self) -> FormFields:
        """The draft as the Edit form shows it."""
        draft = self.draft
        return FormFields(
            subreddits=" ".join(f"r/{s}" for s in draft.subreddits),
            keywords=", ".join(draft.keywords),
            days=str(draft.days) if draft.days is not None else "",
            budget=f"{draft.max_cost}" if draft.max_cost is not None else "",
        )


class FormFields(BaseModel):
    """The Edit form's four fields, as text, the same on every platform."""

    subreddits: str = ""
    keywords: str = ""
    days: str = ""
    budget: str = ""

    def command(self) -> EditDraft:
        """The edit these fields ask for; InvalidRequestError (with ``field``) when a field cannot be read.

        Each field is read as what it is: keywords are split at commas and kept verbatim, so
        "$5 tools" stays a keyword and "late payments in 2 weeks" does not change the window.
        """
        names = [n.strip().removeprefix("/").removeprefix("r/") for n in self.subreddits.replace(",", " ").split()]
        names = [n for n in names if n]
        if not names:
            raise FieldError("subreddits", "Name at least one subreddit.")
        keywords = [k.strip() for k in self.keywords.split(",") if k.strip()]
        days: int | None = None
        if self.days.strip():
            text = self.days.strip().lower().removesuffix("days").removesuffix("day").strip()
            if not text.isdigit() or not 1 <= int(text) <= 365:
                raise FieldError("days", "Give the window as a whole number of days from 1 to 365, like 14.")
            days = int(text)
        budget: Decimal | None = None
        if self.budget.strip():
            try:
                budget = Decimal(self.budget.strip().removeprefix("$").replace(",", ""))
            except InvalidOperation as error:
                raise FieldError("budget", "Give the budget in dollars, like 2 or 0.50.") from error
            if not budget.is_finite() or budget < 0:
                raise FieldError("budget", "Give the budget in dollars, like 2 or 0.50.")
        return EditDraft(subreddits=names, keywords=keywords, days=days, max_cost=budget)


class FieldError(InvalidRequestError):
    """A form field that cannot be read; ``field`` names it so the form can point at it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

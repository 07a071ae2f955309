"""Shared pieces of the contract: camelCase JSON, money and time types (``utcnow`` is the process clock)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

from oppscout.core.clock import utcnow

__all__ = ["CamelModel", "Money", "UtcDateTime", "utcnow"]


def _as_utc(value: datetime) -> datetime:
    # Naive datetimes are taken as UTC so comparisons never mix naive and aware values.
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as error:  # e.g. year 9999 with a negative offset
        raise ValueError("That date is out of range; use a date between the years 2005 and today.") from error


Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
"""USD amount: exact Decimal in Python, a plain number in JSON."""

UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
"""A timezone-aware UTC datetime (naive input is read as UTC)."""


class CamelModel(BaseModel):
    """Base of every contract model: snake_case attributes, camelCase JSON."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        frozen=False,
    )

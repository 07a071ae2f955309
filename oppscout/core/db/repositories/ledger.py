"""The cost ledger in the database: reservations and settlements per paid call."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Case, ColumnElement, Subquery, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.contract import utcnow
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.upsert import insert_ignoring_duplicates
from oppscout.core.db.tables import AnalysisRow, LedgerEntryRow
from oppscout.core.ports import LedgerTotals

RESERVED = "reserved"
SETTLED = "settled"
RELEASED = "released"
ZERO = Decimal("0")


def _settled_usd() -> Case[Decimal]:
    return case((LedgerEntryRow.status == SETTLED, LedgerEntryRow.actual_usd), else_=ZERO)


def _reserved_usd() -> Case[Decimal]:
    return case((LedgerEntryRow.status == RESERVED, LedgerEntryRow.reserved_usd), else_=ZERO)


def _open_reservation(analysis_id: str, key: str) -> ColumnElement[bool]:
    return (
        (LedgerEntryRow.analysis_id == analysis_id) & (LedgerEntryRow.key == key) & (LedgerEntryRow.status == RESERVED)
    )


def spend_by_analysis() -> Subquery:
    """Settled (``spent``) and still held (``reserved``) dollars per ``analysis_id``, to join onto analyses."""
    return (
        select(
            LedgerEntryRow.analysis_id.label("analysis_id"),
            func.sum(_settled_usd()).label("spent"),
            func.sum(_reserved_usd()).label("reserved"),
        )
        .group_by(LedgerEntryRow.analysis_id)
        .subquery()
    )


async def _lock_analysis(session: AsyncSession, analysis_id: str) -> None:
    # A no-op write on the analysis row serialises budget checks of one analysis: PostgreSQL
    # takes a row lock, SQLite its database write lock. Two workers can then never both see
    # room for a reservation that only one of them fits.
    await session.execute(update(AnalysisRow).where(AnalysisRow.id == analysis_id).values(id=AnalysisRow.id))


async def ledger_totals(session: AsyncSession, analysis_id: str) -> LedgerTotals:
    """Sums of the ledger for one analysis, inside the caller's unit of work."""
    settled = LedgerEntryRow.status == SETTLED
    query = select(
        func.coalesce(func.sum(_settled_usd()), ZERO),
        func.coalesce(func.sum(_reserved_usd()), ZERO),
        func.coalesce(
            func.sum(case((settled & (LedgerEntryRow.kind == "llm"), LedgerEntryRow.actual_usd), else_=ZERO)), ZERO
        ),
        func.coalesce(
            func.sum(case((settled & (LedgerEntryRow.kind == "reddit"), LedgerEntryRow.actual_usd), else_=ZERO)), ZERO
        ),
        func.coalesce(func.sum(LedgerEntryRow.tokens_in), 0),
        func.coalesce(func.sum(LedgerEntryRow.tokens_out), 0),
        func.coalesce(func.sum(LedgerEntryRow.calls), 0),
    ).where(LedgerEntryRow.analysis_id == analysis_id)
    spent, reserved, llm, reddit, t_in, t_out, calls = (await session.execute(query)).one()
    return LedgerTotals(
        spent=Decimal(str(spent)),
        reserved=Decimal(str(reserved)),
        llm_cost=Decimal(str(llm)),
        reddit_cost=Decimal(str(reddit)),
        tokens_in=int(t_in),
        tokens_out=int(t_out),
        reddit_calls=int(calls),
    )


class SqlLedger:
    """The ``Ledger`` port on the database; each call is its own unit of work."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def totals(self, analysis_id: str) -> LedgerTotals:
        """Sums for one analysis."""
        async with self.database.unit_of_work() as session:
            return await ledger_totals(session, analysis_id)

    async def reserve(self, analysis_id: str, key: str, kind: str, amount: Decimal, budget: Decimal) -> bool:
        """Hold ``amount`` unless it does not fit the budget; a key already held or settled counts as accepted."""
        async with self.database.unit_of_work() as session:
            await _lock_analysis(session, analysis_id)
            existing = (
                await session.execute(
                    select(LedgerEntryRow.status).where(
                        LedgerEntryRow.analysis_id == analysis_id, LedgerEntryRow.key == key
                    )
                )
            ).scalar_one_or_none()
            if existing in (RESERVED, SETTLED):
                return True
            totals = await ledger_totals(session, analysis_id)
            if totals.spent + totals.reserved + amount > budget:
                return False
            if existing == RELEASED:
                await session.execute(
                    update(LedgerEntryRow)
                    .where(LedgerEntryRow.analysis_id == analysis_id, LedgerEntryRow.key == key)
                    .values(status=RESERVED, reserved_usd=amount)
                )
                return True
            await insert_ignoring_duplicates(
                session,
                LedgerEntryRow,
                [
                    {
                        "analysis_id": analysis_id,
                        "key": key,
                        "kind": kind,
                        "status": RESERVED,
                        "reserved_usd": amount,
                        "created_at": utcnow(),
                    }
                ],
            )
            return True

    async def settle(
        self, analysis_id: str, key: str, actual: Decimal, *, tokens_in: int, tokens_out: int, calls: int
    ) -> None:
        """Turn the reservation into a charge; settling twice changes nothing."""
        async with self.database.unit_of_work() as session:
            await session.execute(
                update(LedgerEntryRow)
                .where(_open_reservation(analysis_id, key))
                .values(
                    status=SETTLED,
                    actual_usd=actual,
                    tokens_in=tokens_in,
                    tokens_out=tokens_out,
                    calls=calls,
                    settled_at=utcnow(),
                )
            )

    async def release(self, analysis_id: str, key: str) -> None:
        """Drop a reservation that was never used."""
        async with self.database.unit_of_work() as session:
            await session.execute(
                update(LedgerEntryRow).where(_open_reservation(analysis_id, key)).values(status=RELEASED)
            )

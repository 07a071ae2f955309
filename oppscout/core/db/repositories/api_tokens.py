"""Queries about web API tokens: create, look up by the presented secret, revoke."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.contract import utcnow
from oppscout.core.db.tables import ApiTokenRow

TOKEN_PREFIX = "osk_"
# Longer than any token we issue; a longer presented value is rejected before hashing.
MAX_TOKEN_LENGTH = 128


def hash_token(token: str) -> str:
    """The stored form of a token. SHA-256 suffices: tokens carry 256 random bits, so no stretching is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A freshly created token: the secret is shown once and never stored."""

    token_id: str
    secret: str
    workspace_id: str
    name: str


class ApiTokenRepository:
    """Reads and writes rows of ``api_tokens`` inside the caller's unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, workspace_id: str, name: str = "") -> IssuedToken:
        """Issue a new token for ``workspace_id``."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = secrets.token_hex(6)
        self.session.add(
            ApiTokenRow(
                id=token_id,
                token_hash=hash_token(secret),
                workspace_id=workspace_id,
                name=name,
                created_at=utcnow(),
                revoked_at=None,
            )
        )
        await self.session.flush()
        return IssuedToken(token_id=token_id, secret=secret, workspace_id=workspace_id, name=name)

    async def workspace_for(self, secret: str) -> str | None:
        """The workspace of a valid, unrevoked token; None for anything else."""
        if not secret or len(secret) > MAX_TOKEN_LENGTH:
            return None
        query = select(ApiTokenRow.workspace_id).where(
            ApiTokenRow.token_hash == hash_token(secret), ApiTokenRow.revoked_at.is_(None)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def revoke(self, id_or_secret: str) -> bool:
        """Revoke a token given its id or its secret; False when no active token matched."""
        result = await self.session.execute(
            update(ApiTokenRow)
            .where(
                or_(ApiTokenRow.id == id_or_secret, ApiTokenRow.token_hash == hash_token(id_or_secret)),
                ApiTokenRow.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
        return bool(getattr(result, "rowcount", 0))

    async def list_active(self, workspace_id: str | None = None) -> Sequence[ApiTokenRow]:
        """Unrevoked tokens, newest first, optionally of one workspace."""
        query = select(ApiTokenRow).where(ApiTokenRow.revoked_at.is_(None)).order_by(ApiTokenRow.created_at.desc())
        if workspace_id is not None:
            query = query.where(ApiTokenRow.workspace_id == workspace_id)
        return (await self.session.execute(query)).scalars().all()

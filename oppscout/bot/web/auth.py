"""Bearer-token authentication for the REST API and the Socket.IO handshake."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from oppscout.core.db.database import Database
from oppscout.core.db.repositories.api_tokens import ApiTokenRepository
from oppscout.core.errors import AppError

_bearer = HTTPBearer(auto_error=False, description="An API token from `oppscout token create`.")


class UnauthorizedError(AppError):
    """No valid API token came with the request."""

    def __init__(self) -> None:
        super().__init__("A valid API token is required: send 'Authorization: Bearer <token>'.")


@dataclass(frozen=True)
class Caller:
    """Who is calling: the workspace their token belongs to."""

    workspace_id: str


async def workspace_for_token(database: Database, token: str | None) -> str | None:
    """The workspace of a valid token, or None."""
    if not token:
        return None
    async with database.unit_of_work() as session:
        return await ApiTokenRepository(session).workspace_for(token.strip())


async def require_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    """FastAPI dependency: the caller, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError()
    database: Database = request.app.state.runtime.database
    workspace = await workspace_for_token(database, credentials.credentials)
    if workspace is None:
        raise UnauthorizedError()
    return Caller(workspace_id=workspace)


CallerDep = Annotated[Caller, Depends(require_caller)]
"""Annotate a route parameter with this to require a valid token."""

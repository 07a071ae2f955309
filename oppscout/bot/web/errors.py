"""How errors look over HTTP: one JSON shape, a safe message, and the right status code."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import Field
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from oppscout.bot.web.auth import UnauthorizedError
from oppscout.bot.web.validation import describe
from oppscout.core.contract import CamelModel
from oppscout.core.errors import (
    AppError,
    BudgetExceededError,
    InvalidRequestError,
    NotFoundError,
    QueueUnavailableError,
    SourceUnavailableError,
)

log = logging.getLogger(__name__)


class ErrorDetail(CamelModel):
    """One problem with one field of the request."""

    field: str
    message: str


class ErrorBody(CamelModel):
    """Every error response: a stable code and a message safe to show to the user."""

    error: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


_STATUS: list[tuple[type[AppError], int, str]] = [
    (UnauthorizedError, 401, "unauthorized"),
    (NotFoundError, 404, "not_found"),
    (InvalidRequestError, 422, "invalid_request"),
    (BudgetExceededError, 422, "budget_exceeded"),
    (QueueUnavailableError, 503, "queue_unavailable"),
    (SourceUnavailableError, 503, "source_unavailable"),
]

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No valid API token."},
    404: {"model": ErrorBody, "description": "No such analysis in the caller's workspace."},
    413: {"model": ErrorBody, "description": "The request body is too large."},
    422: {"model": ErrorBody, "description": "The request is invalid; details say what to change."},
    503: {"model": ErrorBody, "description": "A part the request needs is unavailable; try again shortly."},
}
"""Documented error responses, for the OpenAPI schema of every authenticated route."""


def error_response(status: int, code: str, message: str, details: list[ErrorDetail] | None = None) -> JSONResponse:
    """A JSON error response in the one shape."""
    body = ErrorBody(error=code, message=message, details=details or [])
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    for kind, status, code in _STATUS:
        if isinstance(exc, kind):
            return error_response(status, code, exc.message)
    return error_response(400, "bad_request", exc.message)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [ErrorDetail(field=f, message=m) for f, m in (describe(e, exc.body) for e in exc.errors())]
    if len(details) == 1:
        message = details[0].message
    else:
        fields = ", ".join(dict.fromkeys(d.field for d in details))
        message = f"The request has {len(details)} problems, in {fields}; see details for each."
    return error_response(422, "invalid_request", message, details)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail))


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    part = "database" if isinstance(exc, SQLAlchemyError) else "job queue"
    log.warning("%s unavailable during %s %s: %s", part, request.method, request.url.path, type(exc).__name__)
    return error_response(503, "unavailable", f"The {part} is unavailable right now; please try again shortly.")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "Sorry, something went wrong on our side. It has been logged.")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(SQLAlchemyError, _unavailable)
    app.add_exception_handler(RedisError, _unavailable)
    app.add_exception_handler(Exception, _unexpected)

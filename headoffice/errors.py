"""Every error head office answers, as ``ErrorBody`` JSON with a sentence a person can act
on: its own refusals, malformed requests (naming the field), bodies too large, and a
database that is down."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.sync.wire import MAX_PUSH_OPS, ErrorBody, ErrorCode

log = logging.getLogger("headoffice")

UUID_PATTERN_HINT = "must be a lower-case uuid such as 0190f5a2-7b1c-7d3e-8f00-0123456789ab"
DATABASE_DOWN = (
    "Head office cannot reach its database just now; nothing was changed. "
    "The terminal will try again shortly."
)


class ApiError(Exception):
    """A refusal: HTTP status, error code and the sentence to show."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_response(
    status: int, code: ErrorCode, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(error=code, message=message).model_dump(mode="json")
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "bad_request: the message names the field"},
    503: {"model": ErrorBody, "description": "unavailable: the database is down; retry"},
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "unauthorised or terminal_revoked"},
    **ERROR_RESPONSES,
}


def describe_validation(errors: Sequence[Any]) -> tuple[int, ErrorCode, str]:
    """Status, code and sentence for a request FastAPI could not read."""
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            detail = (error.get("ctx") or {}).get("error", "")
            return (
                400,
                ErrorCode.BAD_REQUEST,
                f"The request body is not valid JSON ({detail}); send the message as JSON.",
            )
        if error.get("type") == "too_long" and loc == ("body", "ops"):
            sent = (error.get("ctx") or {}).get("actual_length", "more")
            return (
                413,
                ErrorCode.TOO_LARGE,
                f"A push carries at most {MAX_PUSH_OPS} operations, not {sent}; "
                f"send them in batches of {MAX_PUSH_OPS}.",
            )
    parts = [_one_problem(error) for error in errors[:3]]
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return 400, ErrorCode.BAD_REQUEST, "The request was refused: " + "; ".join(parts) + more + "."


def _one_problem(error: Mapping[str, Any]) -> str:
    loc = tuple(error.get("loc", ()))
    where, path = (loc[0], loc[1:]) if loc else ("body", ())
    name = _path(path)
    kind = error.get("type", "")
    if where == "body" and not path and kind == "missing":
        return "it needs a JSON body"
    if where == "body" and not path and kind in {"model_attributes_type", "dict_type"}:
        return "the body must be a JSON object, sent with Content-Type: application/json"
    last = str(path[-1]) if path else ""
    if kind.startswith("string_") and (last == "id" or last.endswith("uuid")):
        message = UUID_PATTERN_HINT
    elif kind == "missing":
        message = "is missing"
    elif kind == "extra_forbidden":
        message = "is not a field of this message"
    else:
        message = str(error.get("msg", "")).rstrip(".") or "not valid"
        message = ": " + message[0].lower() + message[1:]
    label = {"query": "query parameter", "header": "header"}.get(str(where), "")
    subject = f"{label} {name}".strip() if name else "the body"
    return f"{subject}{message}" if message.startswith(":") else f"{subject} {message}"


def _path(path: Sequence[Any]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure as ErrorBody JSON."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> Response:
        status, code, message = describe_validation(list(exc.errors()))
        return error_response(status, code, message)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if isinstance(exc.__cause__, ApiError):  # FastAPI wraps what reading the body raised
            cause = exc.__cause__
            return error_response(cause.status, cause.code, cause.message, cause.headers)
        if exc.status_code == 404:
            message = f"Head office has no {request.url.path}; the endpoints are under /v1."
        elif exc.status_code == 405:
            message = f"{request.url.path} does not take {request.method}."
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, ErrorCode.BAD_REQUEST, message)

    async def _database_down(_request: Request, exc: Exception) -> Response:
        log.warning("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
        return error_response(503, ErrorCode.UNAVAILABLE, DATABASE_DOWN, {"Retry-After": "5"})

    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(PoolTimeoutError, _database_down)

    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> Response:
        if exc.connection_invalidated:
            return await _database_down(request, exc)
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return error_response(
            500,
            ErrorCode.UNAVAILABLE,
            "Head office hit an unexpected error and kept nothing of this request; the "
            "terminal will try again. If it keeps happening, see head office's log.",
        )


class BodyTooLargeError(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            ErrorCode.TOO_LARGE,
            f"The request body is larger than head office takes ({limit:,} bytes); "
            "send fewer operations per push.",
        )


class BodySizeLimit:
    """Refuse a request body over ``max_bytes``: by its Content-Length before reading it,
    or once the bytes streamed in pass the cap."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                error = BodyTooLargeError(self.max_bytes)
                response = error_response(error.status, error.code, error.message)
                await response(scope, receive, send)
                return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)

"""The head-office HTTP API (docs/SYNC.md, "Wire protocol"): enrol, push, pull, snapshot,
health and the OpenAPI schema.

Database work is synchronous SQLAlchemy in ``def`` endpoints, so it runs in the thread
pool. Pull and snapshot answers are spliced from the data core's raw JSON text, never
parsed and dumped again; their models are still declared so the schema documents them.

No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations,
which name the local ``caller`` dependency.
"""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.domain.errors import ValidationError
from app.domain.hlc import parse_stamp
from app.sync.wire import (
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    PROTOCOL,
    EnrolRequest,
    EnrolResponse,
    ErrorBody,
    ErrorCode,
    Operation,
    PullResponse,
    PushRequest,
    PushResponse,
    SnapshotPage,
    parse_cursor,
)
from headoffice import feed, terminals
from headoffice.apply import RetryBatchError, apply_push
from headoffice.engine import ping
from headoffice.errors import (
    AUTH_RESPONSES,
    ERROR_RESPONSES,
    ApiError,
    BodySizeLimit,
    install_error_handlers,
)
from headoffice.runtime import HeadOfficeRuntime

PUSH_ATTEMPTS = 5  # a batch racing another push for the same keys is applied again
THREADS = 64  # database work at once; the PostgreSQL pool holds as many connections


def create_app(runtime: HeadOfficeRuntime) -> FastAPI:
    """The ASGI app for one head-office process."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        try:
            yield
        finally:
            runtime.close()

    app = FastAPI(
        title="Tabkeeper head office",
        version=PROTOCOL,
        summary="Sync between Tabkeeper terminals and head office (docs/SYNC.md)",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=runtime.settings.max_body_bytes)
    app.state.runtime = runtime
    _routes(app, runtime)
    return app


def _stamp(runtime: HeadOfficeRuntime) -> tuple[datetime, str]:
    return runtime.now().astimezone(UTC), str(runtime.clock.now())


def _iso(at: datetime) -> str:
    """As pydantic writes a UTC time in the other answers: ``...Z``."""
    return at.isoformat().replace("+00:00", "Z")


def _routes(app: FastAPI, runtime: HeadOfficeRuntime) -> None:
    bearer = HTTPBearer(auto_error=False, description="<terminal_uuid>.<secret> from /v1/enrol")

    def caller(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> str:
        header = f"Bearer {credentials.credentials}" if credentials else None
        now = runtime.now()
        try:
            with runtime.gate.read() as conn:
                found = terminals.authenticate(conn, header, now)
        except terminals.UnauthorisedError as exc:
            raise ApiError(401, exc.code, str(exc), {"WWW-Authenticate": "Bearer"}) from None
        if found.last_seen_due:
            with runtime.gate.begin() as conn:
                terminals.record_seen(conn, found.terminal_uuid, now)
        return found.terminal_uuid

    @app.post(
        "/v1/enrol",
        response_model=EnrolResponse,
        responses={
            403: {"model": ErrorBody, "description": "enrolment_refused: wrong, used, expired"},
            429: {"model": ErrorBody, "description": "enrolment_refused: too many wrong codes"},
            **ERROR_RESPONSES,
        },
    )
    def enrol(body: EnrolRequest, request: Request) -> EnrolResponse:
        """Trade a one-time code from `python -m headoffice enrol-code` for a token."""
        client = request.client.host if request.client else "unknown"
        wait = runtime.limiter.retry_after(client)
        if wait:
            raise ApiError(
                429,
                ErrorCode.ENROLMENT_REFUSED,
                f"Too many wrong enrolment codes in the last minute; wait {wait} seconds "
                "and type the code again.",
                {"Retry-After": str(wait)},
            )
        try:
            with runtime.gate.begin() as conn:
                done = terminals.enrol(conn, body.code, runtime.now())
        except terminals.EnrolmentRefusedError as exc:
            runtime.limiter.failed(client)
            raise ApiError(403, ErrorCode.ENROLMENT_REFUSED, str(exc)) from None
        server_time, hlc = _stamp(runtime)
        return EnrolResponse(
            terminal_uuid=done.terminal_uuid, token=done.token, server_time=server_time, hlc=hlc
        )

    @app.post(
        "/v1/push",
        response_model=PushResponse,
        responses={
            413: {"model": ErrorBody, "description": "too_large: too many operations"},
            **AUTH_RESPONSES,
        },
    )
    def push(body: PushRequest, terminal: Annotated[str, Depends(caller)]) -> PushResponse:
        """Apply a batch of outbox operations in one transaction, each exactly once."""
        _observe(runtime, body.ops)
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            try:
                with runtime.gate.begin() as conn:
                    outcome = apply_push(conn, terminal, body.ops, runtime.clock)
                break
            except RetryBatchError:
                if attempt == PUSH_ATTEMPTS:
                    raise ApiError(
                        503,
                        ErrorCode.UNAVAILABLE,
                        "Head office is busy applying the same records from another push; "
                        "nothing of this batch was kept. The terminal will send it again.",
                        {"Retry-After": "1"},
                    ) from None
        server_time, hlc = _stamp(runtime)
        return PushResponse(
            results=outcome.results, txid=outcome.txid, server_time=server_time, hlc=hlc
        )

    @app.get(
        "/v1/pull",
        response_model=PullResponse,
        responses={
            409: {"model": ErrorBody, "description": "snapshot_required: no cursor yet"},
            410: {"model": ErrorBody, "description": "cursor_expired: take a snapshot"},
            **AUTH_RESPONSES,
        },
    )
    def pull(
        _terminal: Annotated[str, Depends(caller)],
        cursor: Annotated[str, Query(max_length=64)] = "",
        limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
    ) -> Response:
        """Documents changed since `cursor`, in row-version order."""
        try:
            if not cursor:
                raise feed.SnapshotRequiredError
            parse_cursor(cursor)
            with runtime.gate.read() as conn:
                page = feed.pull(conn, cursor, limit)
        except feed.SnapshotRequiredError:
            raise ApiError(
                409,
                ErrorCode.SNAPSHOT_REQUIRED,
                "This terminal has no sync cursor yet; it takes a snapshot first "
                "(GET /v1/snapshot).",
            ) from None
        except feed.CursorExpiredError:
            raise ApiError(
                410,
                ErrorCode.CURSOR_EXPIRED,
                "This terminal last synced before head office purged old deletions; it "
                "takes a fresh snapshot (GET /v1/snapshot).",
            ) from None
        except ValueError as exc:
            raise ApiError(400, ErrorCode.BAD_REQUEST, f"The cursor is not valid: {exc}.") from None
        server_time, hlc = _stamp(runtime)
        return _spliced(
            page.changes_json,
            {"cursor": page.cursor, "more": page.more},
            server_time,
            hlc,
        )

    @app.get(
        "/v1/snapshot",
        response_model=SnapshotPage,
        responses=AUTH_RESPONSES,
    )
    def snapshot(
        _terminal: Annotated[str, Depends(caller)],
        page: Annotated[str, Query(max_length=512)] = "",
        limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
    ) -> Response:
        """One page of every live document plus balances brought forward; `page` ""
        begins a snapshot."""
        try:
            with runtime.gate.read() as conn:
                chunk = feed.snapshot_page(conn, page, limit)
        except ValueError as exc:
            raise ApiError(
                400,
                ErrorCode.BAD_REQUEST,
                f"The snapshot page token is not valid ({exc}); start the snapshot again "
                "without a page.",
            ) from None
        server_time, hlc = _stamp(runtime)
        openings = ",".join(opening.model_dump_json() for opening in chunk.openings)
        return _spliced(
            chunk.changes_json,
            {"page": chunk.page, "done": chunk.done, "cursor": chunk.cursor},
            server_time,
            hlc,
            openings=openings,
        )

    @app.get("/v1/health", responses={503: ERROR_RESPONSES[503]})
    def health() -> dict[str, str]:
        """Whether head office and its database answer."""
        ping(runtime.engine)
        server_time, hlc = _stamp(runtime)
        return {"status": "ok", "server_time": _iso(server_time), "hlc": hlc}


def _observe(runtime: HeadOfficeRuntime, ops: list[Operation]) -> None:
    """Move head office's clock past the newest stamp in the batch (clamped to the skew
    bound); a stamp that does not parse is the operation's problem, rejected later."""
    newest = None
    for op in ops:
        if op.hlc:
            try:
                stamp = parse_stamp(op.hlc)
            except ValidationError:
                continue
            newest = stamp if newest is None or stamp > newest else newest
    if newest is not None:
        runtime.clock.observe(newest)


def _spliced(
    changes_json: list[str],
    fields: dict[str, Any],
    server_time: datetime,
    hlc: str,
    *,
    openings: str | None = None,
) -> Response:
    """A JSON answer around the changes' raw text, without parsing it."""
    parts = ['{"changes":[', ",".join(changes_json), "]"]
    if openings is not None:
        parts += [',"openings":[', openings, "]"]
    for name, value in fields.items():
        parts.append(f",{json.dumps(name)}:{json.dumps(value)}")
    parts.append(f',"server_time":{json.dumps(_iso(server_time))},"hlc":{json.dumps(hlc)}}}')
    return Response("".join(parts).encode(), media_type="application/json")

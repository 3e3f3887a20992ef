"""The terminal's HTTP client for head office (docs/SYNC.md, wire protocol v1).

One :class:`HeadOfficeClient` holds one httpx connection pool (keep-alive) for one head
office. Every answer is validated against the wire models; every failure becomes one of
the typed errors in :mod:`app.sync.errors`, with a sentence a person can act on.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from app.domain.errors import DomainError
from app.domain.hlc import parse_stamp
from app.sync.errors import (
    BadAnswerError,
    CursorExpiredError,
    EnrolmentRefusedError,
    OfflineError,
    RequestRefusedError,
    RevokedError,
    ServerError,
    SetupError,
    SnapshotRequiredError,
    SyncError,
    TlsError,
    UnauthorisedError,
)
from app.sync.wire import (
    DEFAULT_PULL_LIMIT,
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

SNAPSHOT_PAGE_LIMIT = 5000
USER_AGENT = "Tabkeeper-terminal/1"
_SHOWN = 200  # characters of a head-office message or body quoted in an error

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait: to connect, for an answer, and for a snapshot page's answer."""

    connect: float = 3.0
    read: float = 10.0
    snapshot_read: float = 30.0


class Health(BaseModel):
    """``GET /v1/health``: head office is up and what time it thinks it is."""

    model_config = ConfigDict(extra="allow", frozen=True)
    status: str
    server_time: datetime


def check_head_office_url(text: str) -> str:
    """The head office URL, normalised (no trailing slash); SetupError saying what is
    wrong otherwise. The same URL names the terminal's token in the keyring."""
    url = text.strip()
    if not url:
        raise SetupError("Enter head office's address, such as https://office.example.com")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise SetupError(f"“{url}” is not a web address: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise SetupError(
            f"“{url}” is not a head office address: it must start with https:// "
            "(or http:// on a private network)"
        )
    if not parts.hostname:
        raise SetupError(f"“{url}” names no host: write it as https://office.example.com")
    if parts.username or parts.password:
        raise SetupError("Leave the user name and password out of head office's address")
    if parts.query or parts.fragment:
        raise SetupError("Head office's address takes no “?” or “#” part")
    if port == 0:
        raise SetupError(f"“{url}” has port 0, which no server listens on")
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Certificate checks on; a private CA's certificate added when ``ca_file`` is set."""
    context = ssl.create_default_context()
    if ca_file is None:
        return context
    if not ca_file.is_file():
        raise SetupError(
            f"TABKEEPER_HEAD_OFFICE_CA_FILE: {ca_file} does not exist; give the path of "
            "head office's CA certificate (PEM)"
        )
    try:
        context.load_verify_locations(cafile=str(ca_file))
    except (ssl.SSLError, OSError, ValueError) as error:
        raise SetupError(
            f"TABKEEPER_HEAD_OFFICE_CA_FILE: {ca_file} is not a PEM certificate ({error})"
        ) from None
    return context


class HeadOfficeClient:
    """Synchronous client for one head office; close it (or use ``with``) when done.

    ``token`` is the bearer credential ``<terminal_uuid>.<secret>``; only enrolment and
    health work without it. ``transport`` replaces the network (tests only).
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        ca_file: Path | None = None,
        timeouts: Timeouts | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = check_head_office_url(url)
        self._timeouts = timeouts or Timeouts()
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(self._timeouts.read, connect=self._timeouts.connect),
            verify=tls_context(ca_file),
            follow_redirects=False,
            transport=transport,
        )

    def __enter__(self) -> HeadOfficeClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- the protocol -------------------------------------------------------------

    def enrol(self, code: str, terminal_name: str) -> EnrolResponse:
        body = EnrolRequest(code=code, terminal_name=terminal_name).model_dump(mode="json")
        answer = self._call("POST", "/v1/enrol", EnrolResponse, json_body=body)
        _check_stamp(self.url, answer.hlc)
        return answer

    def push(self, ops: Sequence[Operation]) -> PushResponse:
        body = PushRequest(ops=list(ops)).model_dump(mode="json")
        answer = self._call("POST", "/v1/push", PushResponse, json_body=body)
        _check_stamp(self.url, answer.hlc)
        return answer

    def pull(self, cursor: str, limit: int = DEFAULT_PULL_LIMIT) -> PullResponse:
        params = {"cursor": cursor, "limit": str(limit)}
        answer = self._call("GET", "/v1/pull", PullResponse, params=params)
        _check_stamp(self.url, answer.hlc)
        _check_cursor(self.url, answer.cursor)
        return answer

    def snapshot(self, page: str, limit: int = SNAPSHOT_PAGE_LIMIT) -> SnapshotPage:
        params = {"page": page, "limit": str(limit)}
        timeout = httpx.Timeout(self._timeouts.snapshot_read, connect=self._timeouts.connect)
        answer = self._call("GET", "/v1/snapshot", SnapshotPage, params=params, timeout=timeout)
        _check_stamp(self.url, answer.hlc)
        _check_cursor(self.url, answer.cursor)
        if not answer.done and not answer.page:
            raise BadAnswerError(
                f"Head office at {self.url} sent a snapshot page with no next page and not "
                "done; sync will try again"
            )
        return answer

    def health(self) -> Health:
        return self._call("GET", "/v1/health", Health)

    # --- one exchange -------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> M:
        try:
            response = self._http.request(
                method,
                path,
                json=json_body,
                params=params,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
            content = response.content
        except httpx.HTTPError as error:
            raise transport_error(self.url, error) from None
        except (httpx.InvalidURL, UnicodeError, ValueError) as error:
            raise BadAnswerError(
                f"Head office at {self.url} sent an answer that is not proper HTTP ({error})"
            ) from None
        if not 200 <= response.status_code < 300:
            raise answer_error(self.url, response.status_code, content)
        try:
            return model.model_validate_json(content)
        except ValidationError as error:
            raise BadAnswerError(
                f"Head office at {self.url} sent an answer to {path} Tabkeeper cannot read "
                f"({_first_problem(error)}); is that address really head office?"
            ) from None


def transport_error(url: str, error: httpx.HTTPError) -> SyncError:
    """A failure below HTTP, in words: offline, not safe, or not speaking HTTP."""
    text = str(error)
    lowered = text.lower()
    if "certificate" in lowered:
        return TlsError(
            f"Head office at {url} is not trusted: {_short(text)}. If it uses a private "
            "certificate authority, set TABKEEPER_HEAD_OFFICE_CA_FILE to its certificate"
        )
    if "[ssl" in lowered or isinstance(error.__context__, ssl.SSLError):
        return TlsError(
            f"Head office at {url} did not answer over TLS ({_short(text)}); check whether "
            "its address starts with https:// or http://"
        )
    if isinstance(error, httpx.TimeoutException):
        return OfflineError(f"Head office at {url} is not reachable: it did not answer in time")
    if isinstance(error, httpx.ConnectError):
        return OfflineError(f"Head office at {url} is not reachable: {_connect_reason(lowered)}")
    if isinstance(error, httpx.NetworkError) or "disconnected" in lowered:
        return OfflineError(f"Head office at {url} is not reachable: the connection was cut")
    return BadAnswerError(
        f"Head office at {url} answered in a way Tabkeeper cannot read ({_short(text)})"
    )


def _connect_reason(lowered: str) -> str:
    if "refused" in lowered:
        return "connection refused"
    if "name" in lowered and ("known" in lowered or "resolution" in lowered):
        return "its name could not be found (check the address and the network)"
    if "unreachable" in lowered:
        return "the network is unreachable"
    if "reset" in lowered:
        return "the connection was reset"
    return "could not connect"


def answer_error(url: str, status: int, content: bytes) -> SyncError:
    """The typed error for a non-2xx answer, from its error code when it has one."""
    body = _error_body(content)
    said = _short(body.message) if body is not None else ""
    code = body.error if body is not None else None
    if code is ErrorCode.TERMINAL_REVOKED:
        return RevokedError("This terminal was revoked at head office; enrol it again")
    if code is ErrorCode.UNAUTHORISED or (code is None and status in (401, 403)):
        return UnauthorisedError(
            "Head office does not recognise this terminal's credentials; enrol it again"
        )
    if code is ErrorCode.CURSOR_EXPIRED or (code is None and status == 410):
        return CursorExpiredError(
            "This terminal was away longer than head office keeps deletions; "
            "it is taking a fresh copy"
        )
    if code is ErrorCode.SNAPSHOT_REQUIRED:
        return SnapshotRequiredError(f"Head office asks for a fresh copy: {said}".rstrip(": "))
    if code is ErrorCode.ENROLMENT_REFUSED:
        return EnrolmentRefusedError(
            f"Head office refused the enrolment code: {said or 'it is wrong, used or expired'}"
        )
    if code in (ErrorCode.BAD_REQUEST, ErrorCode.TOO_LARGE):
        return RequestRefusedError(f"Head office refused the request: {said}")
    if code is ErrorCode.UNAVAILABLE or status >= 500:
        detail = said or _short(content.decode("utf-8", "replace").strip()) or "no reason given"
        return ServerError(f"Head office at {url} failed (HTTP {status}): {detail}")
    return BadAnswerError(
        f"Head office at {url} answered HTTP {status}"
        + (f": {said}" if said else "; is that address really head office?")
    )


def _error_body(content: bytes) -> ErrorBody | None:
    try:
        return ErrorBody.model_validate_json(content)
    except ValidationError:
        return None


def _check_stamp(url: str, text: str) -> None:
    try:
        parse_stamp(text)
    except DomainError:
        raise BadAnswerError(
            f"Head office at {url} sent a clock stamp Tabkeeper cannot read: {_short(text)!r}"
        ) from None


def _check_cursor(url: str, cursor: str) -> None:
    try:
        parse_cursor(cursor)
    except ValueError as error:
        raise BadAnswerError(f"Head office at {url} sent a bad cursor ({error})") from None


def _first_problem(error: ValidationError) -> str:
    problems = error.errors(include_url=False, include_input=False)
    if not problems:
        return "unreadable"
    first = problems[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "the body"
    more = f", and {len(problems) - 1} more" if len(problems) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHOWN else flat[: _SHOWN - 1] + "…"

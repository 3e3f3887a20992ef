"""Enrolling a terminal with head office, and connecting an enrolled one.

A manager at head office makes a one-time code; the terminal posts it with its name,
gets its uuid and token, keeps the token in the OS keyring and head office's address in
its store's sync state (docs/SYNC.md, "Enrolment").
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path

from app.domain.errors import DomainError
from app.domain.hlc import HybridClock, parse_stamp
from app.services.sync_ports import SyncStore
from app.sync.client import HeadOfficeClient, check_head_office_url
from app.sync.credentials import TerminalCredentials, bearer_token
from app.sync.engine import SyncEngine
from app.sync.errors import CredentialsUnavailableError, NotEnrolledError, SetupError

CODE_LENGTH = (4, 64)
NAME_LENGTH = (1, 80)


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What enrolling gave this terminal."""

    head_office_url: str
    terminal_uuid: str
    terminal_name: str


def check_code(text: str) -> str:
    """The enrolment code as typed, without spaces; SetupError when it cannot be one."""
    code = "".join(text.split())
    low, high = CODE_LENGTH
    if not code:
        raise SetupError("Enter the enrolment code head office gave you")
    if not low <= len(code) <= high:
        raise SetupError(f"An enrolment code is {low} to {high} characters; this has {len(code)}")
    return code


def check_terminal_name(text: str) -> str:
    """The terminal's name as head office will list it; SetupError when unusable."""
    name = " ".join(text.split())
    high = NAME_LENGTH[1]
    if not name:
        raise SetupError("Give this terminal a name head office will know it by, e.g. Till 2")
    if len(name) > high:
        raise SetupError(f"A terminal name is at most {high} characters; this has {len(name)}")
    return name


def enrol_terminal(
    store: SyncStore,
    credentials: TerminalCredentials,
    url: str,
    code: str,
    name: str,
    *,
    ca_file: Path | None = None,
    clock: HybridClock | None = None,
) -> Enrolment:
    """Spend ``code`` at head office ``url``; keep the token and the terminal's identity.

    Checked before the code is spent: the URL, the code, the name, the CA file and the
    keyring. Enrolling with another head office starts this terminal's copy afresh (its
    next sync takes a snapshot); operations waiting in the outbox stay and are pushed.
    """
    url = check_head_office_url(url)
    code = check_code(code)
    name = check_terminal_name(name)
    credentials.check_usable()
    with HeadOfficeClient(url, ca_file=ca_file) as client:
        answer = client.enrol(code, name)
    if clock is not None:
        with suppress(DomainError):  # the client checked it; nothing is lost without it
            clock.observe(parse_stamp(answer.hlc))
    try:
        credentials.save(url, bearer_token(answer.terminal_uuid, answer.token))
    except CredentialsUnavailableError as error:
        raise CredentialsUnavailableError(
            f"{error}. Head office has used the code: ask it for a new one"
        ) from None
    state = store.state()
    enrolled = replace(
        state,
        node=answer.terminal_uuid,
        server_url=url,
        terminal_uuid=answer.terminal_uuid,
        terminal_name=name,
        last_error="",
    )
    if state.server_url and state.server_url != url:
        enrolled = replace(enrolled, cursor="", snapshot_page="", snapshot_cursor="")
    store.save_state(enrolled)
    return Enrolment(url, answer.terminal_uuid, name)


def head_office_of(store: SyncStore, fallback_url: str = "") -> str:
    """The head office this terminal syncs with: the one it enrolled with, else the
    configured one (TABKEEPER_HEAD_OFFICE_URL), else ""."""
    url = store.state().server_url or fallback_url
    return check_head_office_url(url) if url else ""


def engine_connector(
    store: SyncStore,
    credentials: TerminalCredentials,
    clock: HybridClock,
    *,
    fallback_url: str = "",
    ca_file: Path | None = None,
) -> Callable[[Callable[[], bool]], SyncEngine]:
    """A function that builds an engine for the enrolled head office, or raises
    NotEnrolledError / CredentialsUnavailableError / SetupError saying why it cannot.
    It takes the worker's "am I stopping?" so a long snapshot ends between pages."""

    def connect(stopping: Callable[[], bool]) -> SyncEngine:
        url = head_office_of(store, fallback_url)
        if not url:
            raise NotEnrolledError(
                "This terminal is not enrolled with head office: a manager enrols it under "
                "Terminal ▸ Head office…, or with `python -m app sync enrol`"
            )
        token = credentials.load(url)
        if token is None:
            raise NotEnrolledError(
                f"This terminal has no credentials for head office at {url}: enrol it under "
                "Terminal ▸ Head office…, or with `python -m app sync enrol`"
            )
        client = HeadOfficeClient(url, token=token, ca_file=ca_file)
        return SyncEngine(store, client, clock, stopping=stopping)

    return connect

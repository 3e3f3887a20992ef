"""Just enough HTTP/1.1 framing for the fault proxy: where a request or a response
ends, so one can be replayed whole or cut at a chosen byte."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

_NO_BODY_STATUSES = frozenset({204, 304})


class NotHttpError(Exception):
    """The bytes on the connection are not an HTTP/1.1 message the proxy can frame."""


@dataclass(frozen=True, slots=True)
class HttpMessage:
    """One whole request or response, exactly as it crossed the wire."""

    raw: bytes
    start_line: str

    @property
    def method(self) -> str:
        return self.start_line.split(" ", 1)[0]

    @property
    def path(self) -> str:
        parts = self.start_line.split(" ")
        return parts[1] if len(parts) > 1 else ""

    @property
    def status(self) -> int:
        parts = self.start_line.split(" ")
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


async def read_message(
    reader: asyncio.StreamReader, *, response: bool = False
) -> HttpMessage | None:
    """The next whole message, or None at a clean end of stream before one began.

    Raises :class:`asyncio.IncompleteReadError` when the stream ends inside a message
    and :class:`NotHttpError` when the head cannot be framed.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise
    except asyncio.LimitOverrunError as exc:
        raise NotHttpError("message head longer than the reader's limit") from exc
    lines = head.decode("latin-1").split("\r\n")
    start_line = lines[0]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    message = HttpMessage(raw=head, start_line=start_line)
    if response and (message.status < 200 or message.status in _NO_BODY_STATUSES):
        return message
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    elif "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError as exc:
            raise NotHttpError(f"bad content-length {headers['content-length']!r}") from exc
        body = await reader.readexactly(length)
    elif response:
        body = await reader.read()  # delimited by the server closing the connection
    else:
        body = b""
    return HttpMessage(raw=head + body, start_line=start_line)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        parts.append(size_line)
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise NotHttpError(f"bad chunk size {size_line!r}") from exc
        if size == 0:
            while True:  # trailers, up to the blank line
                trailer = await reader.readuntil(b"\r\n")
                parts.append(trailer)
                if trailer == b"\r\n":
                    return b"".join(parts)
        parts.append(await reader.readexactly(size + 2))

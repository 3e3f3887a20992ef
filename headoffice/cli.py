"""``python -m headoffice <command>``: serve, and what a head-office manager runs by hand.

Exit codes: 0 done, 1 the command could not do its work (a bad seed file, an unknown
terminal, the database down), 2 bad usage or configuration. Every failure is one or a
few plain lines on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from headoffice.config import ConfigError, HeadOfficeSettings, load_settings
from headoffice.runtime import HeadOfficeRuntime, open_runtime, prepare_database

Command = Callable[[HeadOfficeRuntime, argparse.Namespace], int]


class CommandFailedError(Exception):
    """The command could not do its work; ``str()`` (several lines allowed) says why."""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        help="a TOML settings file; TABKEEPER_HO_* environment variables override it",
    )
    parser = argparse.ArgumentParser(
        prog="python -m headoffice",
        description="Tabkeeper head office: the sync server and its housekeeping.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    def add(name: str, text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=text, description=text, parents=[common])

    serve = add("serve", "serve the sync API to terminals")
    serve.add_argument("--host", help="address to listen on (TABKEEPER_HO_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (TABKEEPER_HO_PORT)")
    add("init-db", "create head office's tables (serve does it too)")
    enrol = add("enrol-code", "print a one-time code that enrols a terminal (valid 24 h)")
    enrol.add_argument("terminal_name", help='the name the terminal is known by, e.g. "Till 2"')
    add("terminals", "list the terminals: name, uuid, enrolled, last seen, revoked")
    revoke = add("revoke", "revoke a terminal: its next request is refused")
    revoke.add_argument("terminal_uuid")
    seed = add("seed", "load the catalogue (menu, floor, promotions) from a JSON seed file")
    seed.add_argument("file", type=Path)
    imports = add("import-docs", "import documents from a JSON Lines file, checked first")
    imports.add_argument("file", type=Path)
    purge = add("purge-tombstones", "delete deletions older than the tombstone retention")
    purge.add_argument(
        "--days",
        type=int,
        help="keep deletions of the last DAYS days (default: tombstone_retention_days); "
        "terminals that last synced before the oldest one purged take a fresh snapshot",
    )
    add("overdrafts", "list ledger entries that took an account below its limit")
    return parser


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args, os.environ if environ is None else environ)
    except ConfigError as exc:
        print(f"head office: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        from headoffice.server import serve  # uvicorn and FastAPI only for serve

        return serve(settings)
    runtime = open_runtime(settings)
    try:
        if args.command != "init-db":
            prepare_database(runtime)
        return COMMANDS[args.command](runtime, args)
    except CommandFailedError as exc:
        print(f"head office: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"head office: the database failed: {first}", file=sys.stderr)
        return 1
    finally:
        runtime.close()


def _settings(
    args: argparse.Namespace, environ: dict[str, str] | os._Environ[str]
) -> HeadOfficeSettings:
    overrides = dict(environ)
    if getattr(args, "host", None):
        overrides["TABKEEPER_HO_HOST"] = args.host
    if getattr(args, "port", None) is not None:
        overrides["TABKEEPER_HO_PORT"] = str(args.port)
    return load_settings(args.config, overrides)


def _init_db(runtime: HeadOfficeRuntime, _args: argparse.Namespace) -> int:
    prepare_database(runtime)
    print(f"head office's tables are ready in {_shown(runtime)}")
    return 0


def _enrol_code(runtime: HeadOfficeRuntime, args: argparse.Namespace) -> int:
    from headoffice.terminals import issue_code

    try:
        with runtime.gate.begin() as conn:
            issued = issue_code(conn, args.terminal_name, runtime.now())
    except ValueError as exc:
        raise CommandFailedError(str(exc)) from None
    print(issued.code)
    print(
        f"One-time code for “{issued.terminal_name}”, valid until "
        f"{issued.expires_at:%Y-%m-%d %H:%M} UTC. Type it on the terminal to enrol it.",
        file=sys.stderr,
    )
    return 0


def _terminals(runtime: HeadOfficeRuntime, _args: argparse.Namespace) -> int:
    from headoffice.terminals import list_terminals

    with runtime.gate.read() as conn:
        found = list_terminals(conn)
    if not found:
        print("No terminal is enrolled yet; `python -m headoffice enrol-code NAME` makes a code.")
        return 0
    rows = [("name", "uuid", "enrolled", "last seen", "revoked")]
    rows += [
        (t.name, t.uuid, _when(t.enrolled_at), _when(t.last_seen_at), _when(t.revoked_at))
        for t in found
    ]
    print(_table(rows))
    return 0


def _revoke(runtime: HeadOfficeRuntime, args: argparse.Namespace) -> int:
    from headoffice.terminals import revoke

    try:
        with runtime.gate.begin() as conn:
            terminal = revoke(conn, args.terminal_uuid.strip().lower(), runtime.now())
    except LookupError as exc:
        raise CommandFailedError(str(exc.args[0])) from None
    print(
        f"Revoked “{terminal.name}” ({terminal.uuid}) at {_when(terminal.revoked_at)} UTC; "
        "its next request is refused."
    )
    return 0


def _seed(runtime: HeadOfficeRuntime, args: argparse.Namespace) -> int:
    from headoffice.catalogue import SeedFileError, read_seed_file
    from headoffice.feed import DocumentError, write_documents

    try:
        docs = read_seed_file(args.file)
    except SeedFileError as exc:
        raise CommandFailedError(_problem_list(args.file, exc.problems)) from None
    try:
        with runtime.gate.begin() as conn:
            written = write_documents(
                conn, ((d.entity, d.uuid, d.data) for d in docs), runtime.clock
            )
    except DocumentError as exc:
        raise CommandFailedError(_problem_list(args.file, [str(exc)])) from None
    kinds = sorted({d.entity for d in docs})
    print(f"Seeded {written} documents ({', '.join(kinds)}) from {args.file}.")
    return 0


def _import_docs(runtime: HeadOfficeRuntime, args: argparse.Namespace) -> int:
    from headoffice.feed import DocumentError, write_documents
    from headoffice.importing import Document, ImportFileError, check_import_file, import_documents

    try:
        checked = check_import_file(args.file)
    except ImportFileError as exc:
        raise CommandFailedError(_problem_list(args.file, exc.problems)) from None
    print(f"{args.file}: {checked.documents:,} documents checked; writing", file=sys.stderr)

    def write_chunk(chunk: list[Document]) -> int:
        with runtime.gate.begin() as conn:
            return write_documents(conn, chunk, runtime.clock)

    def progress(done: int, total: int) -> None:
        print(f"  {done:,} of {total:,} documents written", file=sys.stderr)

    written = 0
    try:
        written = import_documents(checked, write_chunk, progress)
    except (DocumentError, SQLAlchemyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandFailedError(
            f"the import stopped: {first}. Documents already written stay; running the "
            "import again writes them again, never twice."
        ) from None
    print(f"Imported {written:,} documents from {args.file}.")
    return 0


def _purge(runtime: HeadOfficeRuntime, args: argparse.Namespace) -> int:
    from headoffice.feed import purge_tombstones

    days = runtime.settings.tombstone_retention_days if args.days is None else args.days
    if days < 0:
        raise CommandFailedError("--days counts days to keep, 0 or more")
    before = runtime.now() - timedelta(days=days)
    with runtime.gate.begin() as conn:
        purged = purge_tombstones(conn, before)
    print(
        f"Purged {purged:,} tombstone{'' if purged == 1 else 's'} deleted before "
        f"{before:%Y-%m-%d %H:%M} UTC (kept {days} days)."
    )
    return 0


def _overdrafts(runtime: HeadOfficeRuntime, _args: argparse.Namespace) -> int:
    from headoffice.feed import overdraft_reviews

    with runtime.gate.read() as conn:
        reviews = overdraft_reviews(conn)
    if not reviews:
        print("No overdraft to review.")
        return 0
    columns = list(reviews[0])
    rows = [tuple(columns)] + [
        tuple(_cell(review.get(name)) for name in columns) for review in reviews
    ]
    print(_table(rows))
    return 0


COMMANDS: dict[str, Command] = {
    "init-db": _init_db,
    "enrol-code": _enrol_code,
    "terminals": _terminals,
    "revoke": _revoke,
    "seed": _seed,
    "import-docs": _import_docs,
    "purge-tombstones": _purge,
    "overdrafts": _overdrafts,
}


def _problem_list(path: Path, problems: list[str]) -> str:
    lines = [f"{path}: nothing was written; fix these and run it again:"]
    return "\n".join(lines + [f"  - {problem}" for problem in problems])


def _when(at: datetime | None) -> str:
    return "" if at is None else f"{at:%Y-%m-%d %H:%M}"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _when(value)
    return str(value)


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _shown(runtime: HeadOfficeRuntime) -> str:
    return runtime.engine.url.render_as_string(hide_password=True)

"""Running head office: the schema made ready, then the API served by uvicorn (with TLS
when a certificate and key are configured) until SIGINT or SIGTERM."""

from __future__ import annotations

import logging
import ssl
import sys

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from headoffice.app import create_app
from headoffice.config import HeadOfficeSettings
from headoffice.runtime import open_runtime, prepare_database

log = logging.getLogger("headoffice")


def serve(settings: HeadOfficeSettings) -> int:
    """Serve until stopped; the process's exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    problem = _tls_problem(settings)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    runtime = open_runtime(settings)
    try:
        prepare_database(runtime)
    except SQLAlchemyError as exc:
        runtime.close()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(
            f"head office cannot open its database ({_shown(settings.database_url)}): {first}",
            file=sys.stderr,
        )
        return 1
    app = create_app(runtime)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
        log_level="info",
        access_log=False,  # 200 terminals syncing every few seconds would drown the log
        timeout_graceful_shutdown=10,
        server_header=False,
    )
    server = uvicorn.Server(config)
    log.info("head office on %s, database %s", settings.base_url, _shown(settings.database_url))
    try:
        server.run()
    except SystemExit as exc:  # uvicorn exits 1 when it cannot bind or load the certificate
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0 if server.started else 1


def _tls_problem(settings: HeadOfficeSettings) -> str | None:
    """Why the TLS certificate and key cannot be used; None when they can (or no TLS)."""
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as exc:
        return (
            f"cannot use the TLS certificate {settings.tls_cert} with the key "
            f"{settings.tls_key}: {getattr(exc, 'reason', None) or exc}; both must be PEM "
            "files and the key must belong to the certificate"
        )
    return None


def _shown(url: str) -> str:
    """The database URL without its password, for logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)

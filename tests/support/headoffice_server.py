"""A real head-office server for tests: ``python -m headoffice serve`` in a subprocess on a
free loopback port, over a database the test chooses.

A subprocess, so a test can SIGKILL it at any moment and start it again on the same
database and port::

    with running_headoffice(sqlite_url(tmp_path / "ho.db"), tmp_path) as ho:
        terminal = ho.enrol("Till 1")
        with ho.client(terminal.token) as http:
            http.post("/v1/push", json={"ops": []})
        ho.kill()      # SIGKILL, no goodbye
        ho.start()     # same database, same port

``postgres_schema_url`` gives a PostgreSQL URL on a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
CLI_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting only this certificate."""
        return ssl.create_default_context(cafile=str(self.cert))


@dataclass(frozen=True)
class EnrolledTerminal:
    terminal_uuid: str
    token: str


@dataclass
class HeadOfficeProcess:
    """One head-office server process; start, kill, restart at will.

    ``env`` adds environment variables (e.g. TABKEEPER_HO_MAX_CLOCK_SKEW_S) for the
    server and the CLI commands alike.
    """

    database_url: str
    workdir: Path
    host: str = "127.0.0.1"
    port: int = 0  # chosen at the first start, kept for restarts
    tls: TlsFiles | None = None
    env: dict[str, str] = field(default_factory=dict)
    startup_timeout: float = STARTUP_TIMEOUT_S
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "headoffice.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.process is not None, "head office is not started"
        return self.process.pid

    def environment(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("TABKEEPER_HO_")}
        base.update(
            PYTHONUNBUFFERED="1",
            TABKEEPER_HO_DATABASE_URL=self.database_url,
            TABKEEPER_HO_HOST=self.host,
            TABKEEPER_HO_PORT=str(self.port),
        )
        if self.tls:
            base.update(
                TABKEEPER_HO_TLS_CERT=str(self.tls.cert), TABKEEPER_HO_TLS_KEY=str(self.tls.key)
            )
        base.update(self.env)
        return base

    def start(self) -> None:
        """Start the server and wait until /v1/health answers 200."""
        if self.running:
            raise RuntimeError(f"head office is already running (pid {self.pid})")
        self.workdir.mkdir(parents=True, exist_ok=True)
        first = self.port == 0
        for _attempt in range(3 if first else 1):
            if first:
                self.port = free_port(self.host)
            if self._launch():
                return
        raise RuntimeError(f"head office did not start:\n{self.log_tail()}")

    def _launch(self) -> bool:
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts} on port {self.port}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "headoffice", "serve"],
                cwd=REPO_ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self._wait_healthy()

    def _wait_healthy(self) -> bool:
        assert self.process is not None
        verify: ssl.SSLContext | bool = self.tls.client_context() if self.tls else True
        deadline_checks = int(self.startup_timeout / 0.05)
        with httpx.Client(base_url=self.base_url, verify=verify, timeout=2.0) as client:
            for _check in range(deadline_checks):
                try:
                    if client.get("/v1/health").status_code == 200:
                        return True
                except httpx.TransportError:
                    pass
                try:  # waiting on the process doubles as the pause between checks
                    self.process.wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    continue
                return False  # it exited (port taken, bad settings): the log says why
        self.kill()
        raise RuntimeError(
            f"head office did not answer /v1/health within {self.startup_timeout} s:\n"
            + self.log_tail()
        )

    def stop(self) -> int | None:
        """SIGTERM and wait (SIGKILL after STOP_TIMEOUT_S); the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL: head office dies wherever it is, as on a power cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def restart(self, *, hard: bool = False) -> None:
        """Stop (SIGKILL when ``hard``) and start again on the same database and port."""
        self.kill() if hard else self.stop()
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``python -m headoffice <args>`` against the same database and settings."""
        result = subprocess.run(
            [sys.executable, "-m", "headoffice", *args],
            cwd=REPO_ROOT,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"python -m headoffice {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout}{result.stderr}"
            )
        return result

    def enrolment_code(self, terminal_name: str = "Till 1", *, by_cli: bool = False) -> str:
        """A fresh one-time code: made in this process with head office's own code (fast),
        or by ``python -m headoffice enrol-code`` as a manager would (``by_cli``)."""
        if by_cli:
            return self.cli("enrol-code", terminal_name).stdout.strip()
        from datetime import UTC, datetime

        from headoffice.config import normalise_database_url
        from headoffice.engine import WriteGate, open_engine
        from headoffice.schema import create_schema
        from headoffice.terminals import issue_code

        engine = open_engine(normalise_database_url(self.database_url))
        try:
            create_schema(engine)
            with WriteGate(engine).begin() as conn:
                return issue_code(conn, terminal_name, datetime.now(UTC)).code
        finally:
            engine.dispose()

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client on this server (trusting its certificate under TLS), sending
        ``token`` as the bearer when given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        verify: ssl.SSLContext | bool = self.tls.client_context() if self.tls else True
        kwargs.setdefault("timeout", 30.0)
        return httpx.Client(base_url=self.base_url, headers=headers, verify=verify, **kwargs)

    def enrol(self, terminal_name: str = "Till 1") -> EnrolledTerminal:
        """Enrol a terminal the way one does: a code from the CLI, POST /v1/enrol."""
        code = self.enrolment_code(terminal_name)
        with self.client() as http:
            answer = http.post("/v1/enrol", json={"code": code, "terminal_name": terminal_name})
        if answer.status_code != 200:
            raise RuntimeError(f"enrolment failed: {answer.status_code} {answer.text}")
        body = answer.json()
        return EnrolledTerminal(body["terminal_uuid"], body["token"])


@contextmanager
def running_headoffice(
    database_url: str, workdir: Path, **options: Any
) -> Iterator[HeadOfficeProcess]:
    """A started head office, stopped (or killed) however the block ends."""
    server = HeadOfficeProcess(database_url, workdir, **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def postgres_admin_url(raw: str) -> str:
    return raw.replace("postgresql://", "postgresql+psycopg://", 1)


@contextmanager
def postgres_schema_url(raw_url: str) -> Iterator[str]:
    """A URL of the PostgreSQL cluster at ``raw_url`` whose connections see only a new
    schema of their own; the schema and everything in it is dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"ho_{secrets.token_hex(6)}"
    admin = create_engine(postgres_admin_url(raw_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in raw_url else "?"
    try:
        yield (
            postgres_admin_url(raw_url)
            + separator
            + "options="
            + quote(f"-csearch_path={schema}", safe="")
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def self_signed_certificate(folder: Path, host: str = "127.0.0.1") -> TlsFiles:
    """A self-signed certificate for ``host`` (an IP address) and localhost: made with
    ``cryptography`` when it is installed, by the openssl command otherwise."""
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder / "headoffice.crt", folder / "headoffice.key")
    try:
        _certificate_by_cryptography(files, host)
    except ImportError:
        _certificate_by_openssl(files, host)
    return files


def _certificate_by_cryptography(files: TlsFiles, host: str) -> None:
    import ipaddress
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tabkeeper head office (test)")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _certificate_by_openssl(files: TlsFiles, host: str) -> None:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Tabkeeper head office (test)",
            "-addext",
            f"subjectAltName=IP:{host},DNS:localhost",
            "-keyout",
            str(files.key),
            "-out",
            str(files.cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )

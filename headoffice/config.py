"""Head office's settings: a TOML file and/or the environment, checked once at start.

Precedence: an environment variable beats the file, the file beats the default. Every
problem is one sentence naming the setting and where it came from, so ``serve`` can
print it and exit 2.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from platformdirs import user_data_dir

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8470
DEFAULT_RETENTION_DAYS = 30
DEFAULT_MAX_SKEW_S = 300
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024  # 1000 closed tabs of 100 lines fit well under it

# setting name -> environment variable
ENVIRONMENT: Mapping[str, str] = {
    "database_url": "TABKEEPER_HO_DATABASE_URL",
    "host": "TABKEEPER_HO_HOST",
    "port": "TABKEEPER_HO_PORT",
    "tls_cert": "TABKEEPER_HO_TLS_CERT",
    "tls_key": "TABKEEPER_HO_TLS_KEY",
    "tombstone_retention_days": "TABKEEPER_HO_TOMBSTONE_RETENTION_DAYS",
    "max_clock_skew_s": "TABKEEPER_HO_MAX_CLOCK_SKEW_S",
    "max_body_bytes": "TABKEEPER_HO_MAX_BODY_BYTES",
}


class ConfigError(Exception):
    """A setting head office cannot start with; ``str()`` is the one line to print."""


@dataclass(frozen=True, slots=True)
class HeadOfficeSettings:
    database_url: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tombstone_retention_days: int = DEFAULT_RETENTION_DAYS
    max_clock_skew_s: int = DEFAULT_MAX_SKEW_S
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @property
    def uses_tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def base_url(self) -> str:
        scheme = "https" if self.uses_tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"


def default_database_url() -> str:
    """A SQLite file in the per-user data folder (made when the engine opens it)."""
    folder = Path(user_data_dir("Tabkeeper", appauthor=False)) / "headoffice"
    return f"sqlite:///{folder / 'headoffice.db'}"


def normalise_database_url(url: str, origin: str = "database_url") -> str:
    """The SQLAlchemy URL for ``url``: ``postgresql://`` (or ``postgres://``) is mapped to
    the psycopg 3 driver; anything but SQLite or PostgreSQL is refused."""
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme in {"postgresql", "postgres"}:
        return "postgresql+psycopg" + url[len(scheme) :]
    if scheme in {"postgresql+psycopg", "sqlite", "sqlite+pysqlite"}:
        if scheme.startswith("sqlite") and not url.startswith(f"{scheme}:///"):
            raise ConfigError(
                f"{origin}: a SQLite URL names a file as sqlite:///path/to/headoffice.db, "
                f"not {url!r}"
            )
        return url
    raise ConfigError(
        f"{origin}: head office runs on SQLite (sqlite:///path) or PostgreSQL "
        f"(postgresql://user@host/db), not {url!r}"
    )


def load_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> HeadOfficeSettings:
    """Settings from ``config_file`` (TOML, optional) overlaid by ``environ``."""
    raw: dict[str, tuple[Any, str]] = {}  # name -> (value, where it came from)
    if config_file is not None:
        for name, value in _read_toml(config_file).items():
            raw[name] = (value, f"{config_file}: {name}")
    for name, variable in ENVIRONMENT.items():
        value = (environ or {}).get(variable)
        if value is not None and value.strip():
            raw[name] = (value.strip(), variable)
    return _build(raw)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"the configuration file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the configuration file {path} is not valid TOML: {exc}") from None
    section = data.get("headoffice", data)  # a [headoffice] table, or the keys at the top
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [headoffice] must be a table of settings")
    unknown = sorted(set(section) - set(ENVIRONMENT))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting {unknown[0]!r}; the settings are " + ", ".join(ENVIRONMENT)
        )
    return dict(section)


def _build(raw: Mapping[str, tuple[Any, str]]) -> HeadOfficeSettings:
    def get(name: str, parse: Callable[[Any, str], Any], default: Any) -> Any:
        if name not in raw:
            return default
        value, origin = raw[name]
        return parse(value, origin)

    url_value, url_origin = raw.get("database_url", (default_database_url(), "database_url"))
    if not isinstance(url_value, str) or not url_value.strip():
        raise ConfigError(f"{url_origin}: the database URL must be text")
    cert = get("tls_cert", _existing_file, None)
    key = get("tls_key", _existing_file, None)
    if (cert is None) != (key is None):
        raise ConfigError(
            "TLS needs both a certificate and its private key: set TABKEEPER_HO_TLS_CERT "
            "and TABKEEPER_HO_TLS_KEY (tls_cert and tls_key in the file), or neither"
        )
    host = get("host", _host, DEFAULT_HOST)
    return HeadOfficeSettings(
        database_url=normalise_database_url(url_value, url_origin),
        host=host,
        port=get("port", _ranged(0, 65535, "a port number"), DEFAULT_PORT),
        tls_cert=cert,
        tls_key=key,
        tombstone_retention_days=get(
            "tombstone_retention_days", _ranged(1, 3650, "days"), DEFAULT_RETENTION_DAYS
        ),
        max_clock_skew_s=get("max_clock_skew_s", _ranged(0, 86_400, "seconds"), DEFAULT_MAX_SKEW_S),
        max_body_bytes=get("max_body_bytes", _ranged(1024, 2**31, "bytes"), DEFAULT_MAX_BODY_BYTES),
    )


def _ranged(low: int, high: int, unit: str) -> Callable[[Any, str], int]:
    def parse(value: Any, origin: str) -> int:
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                number = None
        if number is None or not low <= number <= high:
            raise ConfigError(f"{origin}: expected {unit} from {low} to {high}, not {value!r}")
        return number

    return parse


def _host(value: Any, origin: str) -> str:
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value.strip()):
        raise ConfigError(f"{origin}: expected a host name or address, not {value!r}")
    return value.strip()


def _existing_file(value: Any, origin: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{origin}: expected the path of a file, not {value!r}")
    path = Path(value.strip()).expanduser()
    if not path.is_file():
        raise ConfigError(f"{origin}: no such file: {path}")
    return path

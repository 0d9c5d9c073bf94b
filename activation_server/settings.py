"""Configuration: the only place that reads the environment.

Every setting comes from an ``ACTIVATION_*`` variable; tests build :class:`Settings` directly.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


class ConfigError(ValueError):
    """An environment variable holds a value the server cannot use."""


def default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "activation-server"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    # Public base URL, used in printed links and e-mails.
    public_url: str | None = None
    issuer: str = "activation-server"
    key_passphrase: str | None = field(default=None, repr=False)
    # Secret for vendor session tokens; generated into the data dir when not given.
    secret_key: str | None = field(default=None, repr=False)
    smtp_url: str | None = field(default=None, repr=False)
    mail_from: str = "Activation Server <no-reply@localhost>"
    trial_days: int = 30
    pool_min_size: int = 2
    pool_max_size: int = 10
    # Seconds: how long a request may wait for the database before answering 503.
    db_connect_timeout: float = 3.0
    db_command_timeout: float = 5.0
    max_body_bytes: int = 64 * 1024
    # Seconds a client may take to send a request's headers, or its body; an idle keep-alive
    # connection is closed after as long. Slow clients (slowloris) cannot hold connections open.
    client_timeout_seconds: float = 15.0
    # Failed activations (unknown serials) per address and window before 429.
    rate_limit_failures: int = 30
    rate_limit_window_seconds: int = 60
    login_rate_limit: int = 10
    login_rate_window_seconds: int = 900
    # Vendor API session tokens (JWT) live this many seconds.
    access_token_seconds: int = 900
    # Argon2id cost of stored passwords (RFC 9106's second recommendation); tests lower it.
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    password_parallelism: int = 4
    # Use the X-Forwarded-For header's first address as the client address (behind a proxy).
    trust_forwarded_for: bool = False
    # psql/pgbouncer: asyncpg's statement cache must be off behind a transaction-pooling proxy.
    statement_cache_size: int = 1024
    cookie_secure: bool = True
    log_level: str = "INFO"
    # GET /metrics only for peers in these networks (comma-separated, e.g.
    # "127.0.0.0/8,10.0.0.0/8"), and/or only with "Authorization: Bearer <metrics_token>".
    # Unset, the page is open to anyone who reaches the port.
    metrics_networks: str | None = None
    metrics_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.metrics_allowed_networks  # noqa: B018 - refuses a bad value at start-up

    @property
    def metrics_allowed_networks(
        self,
    ) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] | None:
        if self.metrics_networks is None:
            return None
        try:
            return tuple(
                ipaddress.ip_network(part.strip(), strict=False)
                for part in self.metrics_networks.split(",")
                if part.strip()
            )
        except ValueError:
            raise ConfigError(
                f"ACTIVATION_METRICS_NETWORKS={self.metrics_networks!r} is not a list of networks"
            ) from None

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for item in fields(cls):
            raw = env.get("ACTIVATION_" + item.name.upper())
            if raw is None or raw == "":
                continue
            values[item.name] = _convert(item.name, item.type, raw)
        if "data_dir" not in values:
            values["data_dir"] = default_data_dir(env)
        passphrase_file = env.get("ACTIVATION_KEY_PASSPHRASE_FILE")
        if passphrase_file and "key_passphrase" not in values:
            values["key_passphrase"] = Path(passphrase_file).read_text().strip()
        return cls(**values)  # type: ignore[arg-type]


def _convert(name: str, annotation: object, raw: str) -> object:
    kind = str(annotation)
    try:
        if kind == "Path":
            return Path(raw).expanduser()
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
    except ValueError:
        raise ConfigError(f"ACTIVATION_{name.upper()}={raw!r} is not a valid {kind}") from None
    return raw

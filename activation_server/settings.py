"""Configuration: the only place that reads the environment.

Every setting comes from an ``ACTIVATION_*`` variable; tests build :class:`Settings` directly.
"""

from __future__ import annotations

import functools
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


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SURFACES = ("all", "api", "portal")


@functools.cache
def parse_networks(text: str, name: str) -> tuple[Network, ...]:
    """A comma-separated list of networks or addresses, such as "10.0.0.0/8, 192.0.2.7"."""
    try:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in text.split(",")
            if part.strip()
        )
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a list of networks") from None


@dataclass(frozen=True)
class PortalSettings:
    """The vendor portal's section: its pages, mail, accounts and documents. Read by
    :meth:`Settings.from_env` from the same ``ACTIVATION_*`` variables; the activation API
    needs none of it."""

    # Secret for vendor session tokens; generated into the data dir when not given.
    secret_key: str | None = field(default=None, repr=False)
    smtp_url: str | None = field(default=None, repr=False)
    mail_from: str = "Activation Server <no-reply@localhost>"
    # Seconds before the first retry of a mail the server refused (then doubling, up to an
    # hour), and between looks at the outbox for new mail.
    mail_retry_seconds: float = 30.0
    mail_poll_seconds: float = 1.0
    # Taken off a renewal's list price while the current subscription or term still runs, on
    # top of the partner's discount.
    early_renewal_percent: int = 20
    # How often the portal looks for subscriptions ending within 30 days to remind their
    # vendors of (seconds; 0: never, e.g. where another process does it).
    reminder_interval_seconds: int = 3600
    # Value added tax on invoices, percent (0: not charged); prices include it.
    vat_percent: int = 0
    # The seller's requisites printed on invoices and acts (the operator of this service).
    seller_name: str = "Activation Server operator"
    seller_address: str = ""
    seller_tax_id: str = ""
    seller_tax_reason_code: str = ""
    seller_bank_name: str = ""
    seller_bank_code: str = ""
    seller_bank_account: str = ""
    seller_correspondent_account: str = ""
    # Failed sign-ins (and reset mails) per account from one address, per window, before 429.
    login_rate_limit: int = 10
    login_rate_window_seconds: int = 900
    # Failed sign-ins from one address over all accounts (one machine trying many accounts).
    login_address_rate_limit: int = 30
    # Failed sign-ins to one account from all addresses (a botnet guessing one password). A
    # browser the account has signed in from before is not held by it, so strangers cannot
    # lock the owner out.
    login_account_rate_limit: int = 100
    # Vendor API session tokens (JWT) live this many seconds.
    access_token_seconds: int = 900
    # Argon2id cost of stored passwords (RFC 9106's second recommendation); tests lower it.
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    password_parallelism: int = 4
    cookie_secure: bool = True


_PORTAL_FIELDS = frozenset(item.name for item in fields(PortalSettings))


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    # What this process serves (activation-server serve --only): "all", "api" (the activation
    # API) or "portal" (the vendor API and the portal's pages).
    surface: str = "all"
    # Public base URL, used in printed links and e-mails.
    public_url: str | None = None
    issuer: str = "activation-server"
    key_passphrase: str | None = field(default=None, repr=False)
    trial_days: int = 30
    pool_min_size: int = 2
    pool_max_size: int = 10
    # Seconds: how long a request may wait for the database before answering 503.
    db_connect_timeout: float = 3.0
    db_command_timeout: float = 5.0
    # Seconds: the most a request waits for the database in all (a pooled connection, a new
    # connection, its statements, the clean-up of what a frozen database left half done); past
    # it the answer is 503 with Retry-After.
    db_wait_seconds: float = 5.0
    max_body_bytes: int = 64 * 1024
    # Seconds a client may take to send a request's headers, or its body; an idle keep-alive
    # connection is closed after as long. Slow clients (slowloris) cannot hold connections open.
    client_timeout_seconds: float = 15.0
    # Failed activations (unknown serials) per address and window before 429.
    rate_limit_failures: int = 30
    rate_limit_window_seconds: int = 60
    # Behind reverse proxies: how many of them append to X-Forwarded-For (the client address is
    # the one that many entries from the right), and/or which networks they connect from
    # (entries from the right are skipped while they are proxies). ``trust_forwarded_for`` is
    # the older spelling of one hop.
    trust_forwarded_for: bool = False
    trusted_proxy_hops: int = 0
    # Comma-separated networks, such as "10.0.0.0/8, 192.168.1.5".
    trusted_proxies: str = ""
    # psql/pgbouncer: asyncpg's statement cache must be off behind a transaction-pooling proxy.
    statement_cache_size: int = 1024
    # Apply pending migrations when the server starts. Off behind a transaction-pooling proxy:
    # the migration lock is a session's, so there ``activation-server migrate`` runs on a
    # direct URL before the servers start.
    migrate_on_start: bool = True
    log_level: str = "INFO"
    # One JSON line per request on standard output (request id, method, route, status, time).
    access_log: bool = True
    # GET /metrics only for peers in these networks (comma-separated, e.g.
    # "127.0.0.0/8,10.0.0.0/8"), and/or only with "Authorization: Bearer <metrics_token>".
    # Unset, the page is open to anyone who reaches the port.
    metrics_networks: str | None = None
    metrics_token: str | None = field(default=None, repr=False)
    portal: PortalSettings = field(default_factory=PortalSettings)

    def __post_init__(self) -> None:
        # Refuse bad values at start-up, not at the first request that needs them.
        if self.surface not in SURFACES:
            raise ConfigError(
                f"ACTIVATION_SURFACE={self.surface!r} is not one of {', '.join(SURFACES)}"
            )
        self.metrics_allowed_networks  # noqa: B018
        self.trusted_proxy_networks  # noqa: B018

    @property
    def serves_api(self) -> bool:
        return self.surface in ("all", "api")

    @property
    def serves_portal(self) -> bool:
        return self.surface in ("all", "portal")

    @property
    def metrics_allowed_networks(self) -> tuple[Network, ...] | None:
        if self.metrics_networks is None:
            return None
        return parse_networks(self.metrics_networks, "ACTIVATION_METRICS_NETWORKS")

    @property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies, "ACTIVATION_TRUSTED_PROXIES")

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @classmethod
    def of(cls, **values: object) -> Settings:
        """Settings from the names of both sections, as the environment spells them."""
        portal = {name: values.pop(name) for name in list(values) if name in _PORTAL_FIELDS}
        return cls(**values, portal=PortalSettings(**portal))  # type: ignore[arg-type]

    def with_overrides(self, **changes: object) -> Settings:
        portal = {name: changes.pop(name) for name in list(changes) if name in _PORTAL_FIELDS}
        if portal:
            changes["portal"] = replace(self.portal, **portal)  # type: ignore[arg-type]
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for item in (*fields(cls), *fields(PortalSettings)):
            if item.name == "portal":
                continue
            raw = env.get("ACTIVATION_" + item.name.upper())
            if raw is None or raw == "":
                continue
            values[item.name] = _convert(item.name, item.type, raw)
        if "data_dir" not in values:
            values["data_dir"] = default_data_dir(env)
        passphrase_file = env.get("ACTIVATION_KEY_PASSPHRASE_FILE")
        if passphrase_file and "key_passphrase" not in values:
            values["key_passphrase"] = Path(passphrase_file).read_text().strip()
        return cls.of(**values)


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

"""Settings: one reader of the environment, with the portal's settings in their own section."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from activation_server.settings import PortalSettings, Settings


def test_the_portal_section_is_read_from_the_same_variables(tmp_path: Path) -> None:
    read = Settings.from_env(
        {
            "ACTIVATION_DATA_DIR": str(tmp_path),
            "ACTIVATION_SMTP_URL": "smtp://mail.example:587",
            "ACTIVATION_PASSWORD_TIME_COST": "5",
            "ACTIVATION_COOKIE_SECURE": "false",
            "ACTIVATION_PORT": "9001",
        }
    )
    assert read.port == 9001
    assert read.portal.smtp_url == "smtp://mail.example:587"
    assert read.portal.password_time_cost == 5
    assert read.portal.cookie_secure is False
    assert read.portal.login_rate_limit == PortalSettings().login_rate_limit


def test_no_setting_is_in_both_sections() -> None:
    server = {item.name for item in fields(Settings)}
    portal = {item.name for item in fields(PortalSettings)}
    assert not server & portal


def test_overrides_reach_the_section_that_holds_them(tmp_path: Path) -> None:
    settings = Settings.of(data_dir=tmp_path, cookie_secure=False, port=1)
    changed = settings.with_overrides(cookie_secure=True, port=2)
    assert (changed.portal.cookie_secure, changed.port) == (True, 2)
    assert (settings.portal.cookie_secure, settings.port) == (False, 1)

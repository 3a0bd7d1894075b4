"""Diagnostics a dispatcher copies into a ticket: versions, settings, links and the recent log, and never a
password, terminal secret or token."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import platform as host
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from console.core.config import load_settings
from console.core.desk import Desk
from console.core.diagnostics import collect_diagnostics
from console.core.logs import setup_logging
from testbed.line import Line, hash_password
from testbed.platform.server import PlatformServer
from testbed.terminals import Fleet

pytestmark = pytest.mark.integration

PASSWORD = "Dg-4Rw!never-in-diagnostics"
SECRET = "Dt-8Kq!never-in-diagnostics"


@pytest.fixture
def recent_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """setup_logging as the desk does it (files in the test's folder), undone afterwards."""
    monkeypatch.setenv("TRUNKDESK_LOG_DIR", str(tmp_path / "logs"))
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    setup_logging("desk", level=logging.CRITICAL, file_level=logging.DEBUG, console=False)
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.getLogger("websockets").setLevel(logging.NOTSET)


@pytest.fixture
async def secret_platform(line: Line) -> AsyncIterator[PlatformServer]:
    dispatchers = dict(line.dispatchers)
    dispatchers["chief"] = dataclasses.replace(dispatchers["chief"], password_hash=hash_password(PASSWORD,
                                                                                                  iterations=1000))
    terminals = dict(line.terminals)
    terminals["HS-001"] = dataclasses.replace(terminals["HS-001"], secret_hash=hash_password(SECRET, iterations=1000))
    server = PlatformServer(dataclasses.replace(line, dispatchers=dispatchers, terminals=terminals), port=0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_diagnostics_hold_versions_settings_links_and_log_but_no_secret(
        recent_lines: None, secret_platform: PlatformServer, line: Line, tmp_path: Path) -> None:
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    config = tmp_path / "config.toml"
    config.write_text(f'[platform]\nurls = ["{secret_platform.url}"]\n\n[dispatcher]\nuser = "chief"\n'
                      f'password_file = "{password_file}"\n')
    settings = load_settings(config).settings
    desk = Desk(tmp_path / "events.db")
    desk.settings = settings
    try:
        await desk.connect(secret_platform.url, "chief", PASSWORD)
        assert desk.link is not None and desk.link.welcome is not None
        token = desk.link.welcome.resume_token
        async with Fleet(line, secret_platform.url, include=["HS-001"], rate=0, secrets={"HS-001": SECRET}):
            await desk.select("TG-S01")
            assert await desk.wait_until(lambda: desk.world.links.get("A") is not None
                                         and desk.world.links["A"].rtt is not None, timeout=5)
            text = collect_diagnostics(desk, clock=lambda: datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC))
    finally:
        await desk.close()

    assert text.startswith("trunkdesk diagnostics, 2026-01-02T03:04:05+00:00")
    for section in ("== versions ==", "== settings ==", "== desk ==", "== platform links ==", "== media ==",
                    "== log (last"):
        assert section in text
    assert f"python {host.python_version()}" in text and f"os {host.platform()}" in text
    for package in ("msgspec", "websockets", "aiortc", "PySide6-Essentials", "trunkdesk"):
        assert f"{package} {version(package)}" in text
    assert f"platform.urls = ['{secret_platform.url}']" in text
    assert f"dispatcher.password_file = '{password_file}'" in text
    assert "dispatcher chief" in text and "role chief_dispatcher" in text and "talking in TG-S01" in text
    link = next(line_ for line_ in text.splitlines() if line_.startswith("A: "))
    assert secret_platform.url in link and "state up" in link and "role active" in link and "epoch 1" in link
    assert "serving" in link and " ms" in link  # the rtt
    assert "connected to" in text  # the log lines of the sign-in are there
    for secret in (PASSWORD, SECRET, token):
        assert secret not in text


def test_diagnostics_of_a_desk_not_connected(tmp_path: Path, recent_lines: None) -> None:
    desk = Desk(tmp_path / "events.db")
    try:
        text = collect_diagnostics(desk, log_lines=["one line"])
    finally:
        desk.log.close()
    assert "(no settings file in use)" in text and "not connected" in text and "(no platform link)" in text
    assert "(no media session)" in text and "== log (last 1 lines) ==\none line" in text

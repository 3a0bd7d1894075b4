"""Qt tests run offscreen with real widgets; QSettings go to a per-test folder so nothing touches the user's."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from console.core.desk import Desk
from console.ui.i18n import Languages
from console.ui.session import DeskSession
from tests.pulse import PrivatePulse, PulseUnavailable


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["trunkdesk-tests"]


@pytest.fixture(scope="session", autouse=True)
def private_pulse() -> Iterator[PrivatePulse | None]:
    """The Qt tests' sound goes to a private PulseAudio with virtual devices (tests/pulse.py), never to a real
    loudspeaker. QtMultimedia connects to PulseAudio once per process, so this runs before any Qt test; None (the
    sound tests skip, saying why) where PulseAudio cannot run."""
    saved = {name: os.environ.get(name) for name in ("PULSE_SERVER", "PULSE_RUNTIME_PATH", "PULSE_COOKIE")}
    try:
        pulse = PrivatePulse().start()
    except PulseUnavailable as exc:
        global PULSE_PROBLEM  # noqa: PLW0603 - said by the tests that need it
        PULSE_PROBLEM = str(exc)
        yield None
        return
    pulse.use()
    try:
        yield pulse
    finally:
        pulse.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


#: why PulseAudio could not start here (None when it runs)
PULSE_PROBLEM: str | None = None


@pytest.fixture(autouse=True)
def settings(tmp_path: Path, qapp: QApplication) -> Iterator[QSettings]:
    """Every test gets an empty QSettings store of its own, organisation ``trunkdesk``."""
    QCoreApplication.setOrganizationName("trunkdesk")
    QCoreApplication.setApplicationName("trunkdesk-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    store = QSettings()
    store.clear()
    yield store
    store.clear()


@pytest.fixture
def languages(qapp: QApplication) -> Iterator[Languages]:
    """The application's translators, starting in English and left in English."""
    switcher = Languages()
    switcher.set_language("en")
    yield switcher
    switcher.set_language("en")
    QCoreApplication.processEvents()


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """A real core desk (not connected) with its event log in the test's folder."""
    core = Desk(tmp_path / "events.sqlite")
    yield core
    asyncio.run(core.close())


@pytest.fixture
def session(desk: Desk, languages: Languages, settings: QSettings) -> Iterator[DeskSession]:
    """The Qt desk over ``desk``: bridge, actions, PTT keys, commands and the window (not shown)."""
    desk_session = DeskSession(desk, languages, user="chief", settings=settings)
    yield desk_session
    desk_session.detach()
    desk_session.window.close()
    desk_session.window.deleteLater()
    QCoreApplication.processEvents()


RunAsync = Callable[[Callable[[], Coroutine[Any, Any, Any]]], Any]


@pytest.fixture
def run_async(qapp: QApplication) -> RunAsync:
    """Run a coroutine function on a qasync loop over the test's QApplication (Qt events flow while it awaits)."""

    def run(scenario: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        loop = qasync.QEventLoop(qapp)
        asyncio.set_event_loop(loop)
        try:
            with loop:
                return loop.run_until_complete(scenario())
        finally:
            asyncio.set_event_loop(None)

    return run


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait on the running loop until ``condition()`` holds (fails the test after ``timeout`` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)

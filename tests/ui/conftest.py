"""Qt tests run offscreen with real widgets; QSettings go to a per-test folder so nothing touches the user's."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["trunkdesk-tests"]


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, qapp: object) -> Iterator[QSettings]:
    """Every test gets an empty QSettings store of its own, organisation ``trunkdesk``."""
    QCoreApplication.setOrganizationName("trunkdesk")
    QCoreApplication.setApplicationName("trunkdesk-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    settings = QSettings()
    settings.clear()
    yield settings
    settings.clear()

"""Starting the desk: the early checks, and `trunkdesk` without arguments (configuration or first-run dialog)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import PySide6
import pytest
from PySide6.QtWidgets import QApplication

from console.ui import app, config
from console.ui.app import DeskOptions, DeskStartError, check_environment
from console.ui.config import DeskConfig, load_config, save_config
from console.ui.sign_in_dialog import SignInDialog


def test_no_display_is_said_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(DeskStartError, match="no display"):
        check_environment()


def test_the_pyside6_that_aborts_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PySide6, "__version__", "6.12.0")
    monkeypatch.setattr(sys, "version_info", (3, 11, 9, "final", 0))
    with pytest.raises(DeskStartError, match=r"6\.11\.3"):
        check_environment()


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp: QApplication) -> Iterator[list[DeskOptions]]:
    """Config in the test's folder; the desk's loop replaced by a recorder of what it was asked to run."""
    path = tmp_path / "config.toml"
    monkeypatch.setattr(config, "config_path", lambda: path)
    runs: list[DeskOptions] = []
    monkeypatch.setattr(app, "run_on_loop", lambda _app, _languages, options: runs.append(options) or 0)
    yield runs
    qapp.setStyleSheet("")


def _answer(monkeypatch: pytest.MonkeyPatch, choice: str | None, **fields: str) -> None:
    def exec_(dialog: SignInDialog) -> int:
        for name, value in fields.items():
            getattr(dialog, f"{name}_edit").setText(value)
        if choice == "connect":
            dialog._connect()
        elif choice == "demo":
            dialog._demo()
        else:
            dialog.reject()
        return int(dialog.result())

    monkeypatch.setattr(SignInDialog, "exec", exec_)


def test_first_run_saves_the_addresses_and_signs_in(configured: list[DeskOptions],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _answer(monkeypatch, "connect", urls="10.1.0.10:7700, 10.1.0.11:7700", user="train1", password="pw")
    assert app.run_configured(language="en") == 0
    assert load_config() == DeskConfig(urls=["ws://10.1.0.10:7700", "ws://10.1.0.11:7700"], user="train1")
    (run,) = configured
    assert (run.urls, run.user, run.password, run.demo) == (
        ["ws://10.1.0.10:7700", "ws://10.1.0.11:7700"], "train1", "pw", False)


def test_first_run_can_choose_the_demo(configured: list[DeskOptions], monkeypatch: pytest.MonkeyPatch) -> None:
    _answer(monkeypatch, "demo")
    assert app.run_configured(language="en") == 0
    assert load_config() is None  # nothing configured by running the demo
    assert configured[0].demo


def test_cancelling_the_sign_in_runs_nothing(configured: list[DeskOptions], monkeypatch: pytest.MonkeyPatch) -> None:
    save_config(DeskConfig(urls=["ws://a:1"], user="chief"))
    seen: dict[str, Any] = {}

    def cancel(dialog: SignInDialog) -> int:
        seen["urls"], seen["user"] = dialog.urls_edit.text(), dialog.user_edit.text()
        dialog.reject()
        return int(dialog.result())

    monkeypatch.setattr(SignInDialog, "exec", cancel)
    assert app.run_configured(language="en") == 0
    assert seen == {"urls": "ws://a:1", "user": "chief"}  # the configured platform was offered
    assert configured == []


def test_system_language_is_chinese_for_any_chinese_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QLocale

    from console.ui import i18n

    for locale, expected in ((QLocale(QLocale.Language.Chinese, QLocale.Country.China), "zh_CN"),
                             (QLocale(QLocale.Language.Chinese, QLocale.Country.Taiwan), "zh_CN"),
                             (QLocale(QLocale.Language.German, QLocale.Country.Germany), "en")):
        monkeypatch.setattr(i18n.QLocale, "system", staticmethod(lambda locale=locale: locale))
        assert i18n.system_language() == expected


def test_the_application_remembers_the_language_and_puts_cjk_fonts_first(qapp: QApplication,
                                                                         settings: Any) -> None:
    from PySide6.QtCore import QCoreApplication, QSettings

    store = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "trunkdesk", "trunkdesk")
    store.setValue("ui/language", "zh_CN")  # in the test's settings folder
    store.sync()
    try:
        created, languages = app.create_application()
        assert created is qapp
        assert languages.language == "zh_CN"
        assert qapp.font().families()[0] == "Noto Sans CJK SC"
        assert "QPushButton" in qapp.styleSheet()
    finally:
        languages.set_language("en")
        qapp.setStyleSheet("")
        QCoreApplication.setApplicationName("trunkdesk-tests")

"""Log files: one rotating file per program in the log folder, the recent lines kept for diagnostics, and
WebSocket frames logged without their contents."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.frames import Frame, Opcode

from console.core import logs
from console.core.logs import level_named, log_directory, recent_log_lines, setup_logging
from protocols.aio.wirelog import frame_safe_logger


@pytest.fixture
def clean_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[logging.Logger]:
    """Undo what setup_logging does to the root logger after the test."""
    monkeypatch.delenv("TRUNKDESK_LOG_DIR", raising=False)
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    websockets_level = logging.getLogger("websockets").level
    yield root
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.getLogger("websockets").setLevel(websockets_level)


def test_each_program_gets_a_rotating_file_in_the_log_folder(tmp_path: Path, clean_root: logging.Logger) -> None:
    path = setup_logging("platform-A", level=logging.WARNING, file_level=logging.INFO, directory=tmp_path,
                         console=False)
    assert path == tmp_path / "platform-A.log"
    log = logging.getLogger("testbed.platform.server")
    log.info("instance A active at epoch %d", 3)
    log.debug("not in the file at INFO")
    for handler in clean_root.handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "INFO testbed.platform.server: instance A active at epoch 3" in text
    assert "not in the file" not in text
    rotating = [h for h in clean_root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert [(h.maxBytes, h.backupCount) for h in rotating] == [(5 * 1024 * 1024, 5)]


def test_files_rotate_and_keep_five(tmp_path: Path, clean_root: logging.Logger,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    setup_logging("desk", directory=tmp_path, console=False)
    log = logging.getLogger("console.core.desk")
    for n in range(400):
        log.warning("line %04d %s", n, "x" * 60)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["desk.log", "desk.log.1", "desk.log.2", "desk.log.3", "desk.log.4", "desk.log.5"]
    assert all(p.stat().st_size <= 2200 for p in tmp_path.iterdir())
    assert "line 0399" in (tmp_path / "desk.log").read_text()


def test_setting_up_again_replaces_the_handlers(tmp_path: Path, clean_root: logging.Logger) -> None:
    before = len(clean_root.handlers)
    setup_logging("desk", directory=tmp_path, console=True)
    once = len(clean_root.handlers)
    setup_logging("desk", directory=tmp_path, console=True)
    assert len(clean_root.handlers) == once == before + 3  # recent lines, stderr, file


def test_the_recent_lines_are_kept_for_diagnostics(tmp_path: Path, clean_root: logging.Logger) -> None:
    setup_logging("desk", directory=tmp_path, console=False)
    log = logging.getLogger("console.core.link")
    for n in range(250):
        log.warning("event %d", n)
    lines = recent_log_lines()
    assert len(lines) == 200 and lines[-1].endswith("console.core.link: event 249")
    assert recent_log_lines(3)[0].endswith("event 247")


def test_the_log_folder_follows_the_environment_then_the_settings(
        tmp_path: Path, clean_root: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> None:
    assert log_directory(tmp_path / "configured") == tmp_path / "configured"
    assert log_directory().name in ("log", "trunkdesk")  # platformdirs' user log folder
    monkeypatch.setenv("TRUNKDESK_LOG_DIR", str(tmp_path / "env"))
    assert log_directory(tmp_path / "configured") == tmp_path / "env"
    monkeypatch.setenv("TRUNKDESK_LOG_DIR", "-")
    assert log_directory(tmp_path) is None
    assert setup_logging("desk", console=False) is None  # no file, still the recent lines
    logging.getLogger("x").warning("kept in memory")
    assert recent_log_lines()[-1].endswith("x: kept in memory")


def test_a_log_folder_that_cannot_be_made_costs_only_the_file(
        tmp_path: Path, clean_root: logging.Logger, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert setup_logging("desk", directory=blocker / "sub", console=False) is None
    assert "no log file in" in capsys.readouterr().err


def test_level_names() -> None:
    assert level_named("debug") == logging.DEBUG and level_named("WARNING") == logging.WARNING
    assert level_named("LOUD") == logging.INFO


def test_websocket_frames_are_logged_without_their_contents(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="websockets.client")
    log = frame_safe_logger("websockets.client")
    log.debug("> %s", Frame(Opcode.TEXT, b'{"t":"hello","secret":"Pw-9"}'))
    log.debug("< %s", Frame(Opcode.BINARY, b"\x00secret"))
    log.debug("= connection is %s", "OPEN")
    log.info("connection open")
    assert [r.getMessage() for r in caplog.records] == [
        "> TEXT [29 bytes]", "< BINARY [7 bytes]", "= connection is OPEN", "connection open"]
    assert "Pw-9" not in caplog.text

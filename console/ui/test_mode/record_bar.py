"""The recorder's bar: record, stop and save what the maintainer does in test mode (and the dispatcher's commands)
as a scenario file, checked with the scenario loader on save; how long it has been recording and how many steps.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from console.ui.test_mode.parts import StatusLine, set_enabled
from console.ui.test_mode.recording import SavedScenario, save_recording

logger = logging.getLogger(__name__)

#: the colour of the "recording" words (the red of a record lamp)
RECORDING = "#ff5a5f"


def recordings_folder() -> Path:
    """Where recordings are offered to be saved: ``recordings`` in the desk's data folder."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("trunkdesk")) / "recordings"


class RecordBar(QFrame):
    """Record / Stop and save… / Save again…, the "add checks" choice and the recording's state."""

    #: a recording was written: its path, and whether the loader accepts it
    saved = Signal(str, bool)

    def __init__(self, bench: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("testRecordBar")
        self.bench = bench
        #: the last file written (None: nothing saved yet)
        self.last_saved: SavedScenario | None = None
        self.record_button = QPushButton(self)
        self.record_button.setObjectName("testRecordButton")
        self.record_button.clicked.connect(self.toggle)
        self.save_button = QPushButton(self)
        self.save_button.setObjectName("testSaveButton")
        self.save_button.clicked.connect(self.ask_and_save)
        self.checks = QCheckBox(self)
        self.checks.setObjectName("testRecordChecks")
        self.checks.setChecked(True)
        self.state = QLabel(self)
        self.state.setObjectName("testRecordState")
        self.status = StatusLine(self)
        self.status.setObjectName("testRecordStatus")
        row = QHBoxLayout()
        row.addWidget(self.record_button)
        row.addWidget(self.save_button)
        row.addWidget(self.checks)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.state)
        layout.addWidget(self.status)
        self._ticker = QTimer(self)
        self._ticker.setInterval(500)
        self._ticker.timeout.connect(self.refresh)
        self.retranslate()

    # ----- recording ------------------------------------------------------------------------------

    @property
    def recording(self) -> bool:
        return self.bench.recording is not None and self.bench.recording.recording

    def toggle(self) -> None:
        """Record, or stop and ask where to save."""
        if self.recording:
            self.status.run(self.tr("Stopping…"), self.stop(), lambda _none: self._ask_to_save())
        else:
            self.start()

    def start(self) -> None:
        try:
            self.bench.start_recording(checks=self.checks.isChecked())
        except Exception as exc:  # not attached yet: said on the status line
            self.status.show_text(str(exc), failed=True)
            return
        self.status.show_text("")
        self._ticker.start()
        self.refresh()

    async def stop(self) -> None:
        """Stop recording (the desk's commands are collected from its event log)."""
        await self.bench.stop_recording()
        self._ticker.stop()
        self.refresh()

    def _ask_to_save(self) -> str:
        # a modal dialog must not run its own event loop inside a coroutine of the qasync loop: open it after
        QTimer.singleShot(0, self.ask_and_save)
        return self.tr("Stopped: choose where to save it")

    def ask_and_save(self) -> None:
        """Ask where, then save the last recording."""
        self.save()

    async def stop_and_save(self, path: Path) -> SavedScenario | None:
        """Stop recording and save to ``path`` without asking (scripts and tests)."""
        await self.stop()
        return self.save(path)

    def save(self, path: Path | None = None) -> SavedScenario | None:
        """Write the last recording to ``path`` (asking where when None) and check it with the loader."""
        recording = self.bench.recording
        if recording is None or recording.recording:
            return None
        if path is None:
            folder = recordings_folder()
            folder.mkdir(parents=True, exist_ok=True)
            suggested = folder / datetime.fromtimestamp(recording.started).strftime("recording-%Y%m%d-%H%M%S.yaml")
            chosen, _filter = QFileDialog.getSaveFileName(self, self.tr("Save the recording as a scenario"),
                                                          str(suggested), self.tr("Scenario files (*.yaml *.yml)"))
            if not chosen:
                self.status.show_text(self.tr("Not saved: Save as… writes it later"))
                return None
            path = Path(chosen)
        try:
            result = save_recording(recording, path)
        except OSError as exc:
            self.status.show_text(self.tr("Cannot save: %1").replace("%1", str(exc)), failed=True)
            return None
        self.last_saved = result
        if result.valid:
            self.status.show_text(self.tr("Saved %1 (%2 steps): replay it with trunkdesk scenario run").replace(
                "%1", str(result.path)).replace("%2", str(len(result.scenario.steps) if result.scenario else 0)))
        else:
            self.status.show_text(self.tr("Saved %1, but the scenario loader finds problems: %2").replace(
                "%1", str(result.path)).replace("%2", "; ".join(result.problems)), failed=True)
        self.saved.emit(str(result.path), result.valid)
        self.refresh()
        return result

    def refresh(self) -> None:
        recording = self.bench.recording
        active = self.recording
        self.record_button.setText(self.tr("Stop and save…") if active else self.tr("Record"))
        self.record_button.setProperty("colour_role", "danger" if active else "primary")
        set_enabled(self.record_button, self.bench.session is not None)
        self.state.setStyleSheet(f"color: {RECORDING};" if active else "")
        self.save_button.setEnabled(recording is not None and not active)
        self.checks.setEnabled(not active)
        if active:
            seconds = int(time.time() - recording.started)
            self.state.setText(self.tr("● Recording %1 — %2 steps").replace(
                "%1", f"{seconds // 60}:{seconds % 60:02d}").replace("%2", str(recording.step_count)))
        elif recording is not None:
            self.state.setText(self.tr("Recorded %1 steps").replace("%1", str(len(recording.steps()))))
        else:
            self.state.setText(self.tr("Not recording"))

    def retranslate(self) -> None:
        self.save_button.setText(self.tr("Save as…"))
        self.save_button.setToolTip(self.tr("Write the last recording to another file"))
        self.checks.setText(self.tr("add checks"))
        self.checks.setToolTip(self.tr("Follow actions with checks of what the desk must show (an emergency "
                                       "shown, its acknowledgement, a failover)"))
        self.record_button.setToolTip(self.tr("Record what you do here, and the dispatcher's commands, as a "
                                              "scenario file that replays headless"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


__all__ = ["RecordBar", "recordings_folder"]

"""File → Audio devices…: choose the loudspeaker or headset and the microphone, try them, save them to the settings.

Lists QMediaDevices' outputs and inputs ("System default" first), plays a test tone on the chosen output, shows the
chosen input's level live, and on OK switches the desk to the chosen devices at once and writes ``audio.output`` and
``audio.input`` (the device's description) into the settings file. The dialog's test tone and meter open their own
streams: the desk's sound goes on meanwhile.

`install_sound_ui` adds the menu entry and the status bar's warning (a device missing or failing) to the window.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtMultimedia import QAudioDevice, QAudioSink, QAudioSource, QMediaDevices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.core.config import DeskSettings, config_path, update_config_file
from console.core.sound import DeskSound
from console.ui.sound import DeskAudio, audio_format, find_device
from media.audio import AUDIO_RATE

logger = logging.getLogger(__name__)

__all__ = ["AudioDevicesDialog", "SoundUi", "install_sound_ui", "start_desk_sound", "tone_bytes"]

#: the test tone: 1 kHz for 0.8 s with 10 ms fades
TONE_HZ, TONE_SECONDS = 1000.0, 0.8


def tone_bytes(frequency: float = TONE_HZ, seconds: float = TONE_SECONDS) -> bytes:
    """The test tone as mono 48 kHz int16 bytes."""
    n = np.arange(int(AUDIO_RATE * seconds))
    fade = AUDIO_RATE // 100
    envelope = np.minimum(1.0, np.minimum(n, len(n) - 1 - n) / fade)
    return (0.3 * envelope * np.sin(2 * math.pi * frequency * n / AUDIO_RATE) * 32767).astype("<i2").tobytes()


class AudioDevicesDialog(QDialog):
    """The devices dialog (see the module docstring). ``config`` is the settings file written on OK (None: not
    saved, the desk only switches)."""

    def __init__(self, audio: DeskAudio, config: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioDevicesDialog")
        self.audio = audio
        self.config = config
        self.devices = QMediaDevices(self)
        self.output_box = QComboBox(self)
        self.output_box.setObjectName("audioOutputBox")
        self.input_box = QComboBox(self)
        self.input_box.setObjectName("audioInputBox")
        self.test_button = QPushButton(self)
        self.test_button.setObjectName("audioTestTone")
        self.meter = QProgressBar(self)
        self.meter.setObjectName("audioInputMeter")
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("audioDevicesProblem")
        self.problem_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.form = QFormLayout()
        self.output_label, self.input_label, self.level_label = QLabel(self), QLabel(self), QLabel(self)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_box, 1)
        output_row.addWidget(self.test_button)
        self.form.addRow(self.output_label, output_row)
        self.form.addRow(self.input_label, self.input_box)
        self.form.addRow(self.level_label, self.meter)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self._tone_sink: QAudioSink | None = None
        self._tone_buffer: QBuffer | None = None
        self._meter_source: QAudioSource | None = None
        self._meter_io: QIODevice | None = None
        self.test_button.clicked.connect(self.play_test_tone)
        self.input_box.currentIndexChanged.connect(lambda _index: self._open_meter())
        self.devices.audioOutputsChanged.connect(self._fill)
        self.devices.audioInputsChanged.connect(self._fill)
        self._fill()
        self.retranslate()
        self._open_meter()

    # ----- the lists ---------------------------------------------------------------------------------------

    def _fill(self) -> None:
        for box, devices, wanted in ((self.output_box, QMediaDevices.audioOutputs(),
                                      self._current(self.output_box, "output")),
                                     (self.input_box, QMediaDevices.audioInputs(),
                                      self._current(self.input_box, "input"))):
            box.blockSignals(True)
            box.clear()
            box.addItem(self.tr("System default"), "")
            for device in devices:
                box.addItem(device.description(), device.description())
            if wanted and box.findData(wanted) < 0:  # configured but not connected: kept, and said so
                box.addItem(self.tr("%1 (not connected)").replace("%1", wanted), wanted)
            box.setCurrentIndex(max(0, box.findData(wanted)))
            box.blockSignals(False)
        self._show_problems()

    def _current(self, box: QComboBox, direction: str) -> str:
        if box.count():
            return str(box.currentData() or "")
        return self.audio.directions[direction].wanted

    def chosen(self) -> tuple[str, str]:
        """(output, input) as chosen: descriptions, "" for the system's default."""
        return str(self.output_box.currentData() or ""), str(self.input_box.currentData() or "")

    def _device(self, direction: str) -> QAudioDevice:
        output, input_ = self.chosen()
        if direction == "output":
            found = find_device(list(QMediaDevices.audioOutputs()), output) if output else None
            return found or QMediaDevices.defaultAudioOutput()
        found = find_device(list(QMediaDevices.audioInputs()), input_) if input_ else None
        return found or QMediaDevices.defaultAudioInput()

    def _show_problems(self) -> None:
        problems = self.audio.problems()
        self.problem_label.setText("\n".join(problems))
        self.problem_label.setVisible(bool(problems))

    # ----- test tone and meter -----------------------------------------------------------------------------

    def play_test_tone(self) -> bool:
        """Play the test tone on the chosen output; False when there is no output device."""
        device = self._device("output")
        if device.isNull():
            self.problem_label.setText(self.tr("No sound output device to play the test tone on"))
            self.problem_label.show()
            return False
        self._stop_tone()
        buffer = QBuffer(self)
        buffer.setData(QByteArray(tone_bytes()))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        sink = QAudioSink(device, audio_format(), self)
        sink.start(buffer)
        self._tone_sink, self._tone_buffer = sink, buffer
        QTimer.singleShot(int(TONE_SECONDS * 1000) + 500, self._stop_tone)
        logger.info("test tone on %s", device.description())
        return True

    def _stop_tone(self) -> None:
        sink, self._tone_sink = self._tone_sink, None
        if sink is not None:
            sink.stop()
            sink.deleteLater()
        buffer, self._tone_buffer = self._tone_buffer, None
        if buffer is not None:
            buffer.close()
            buffer.deleteLater()

    def _open_meter(self) -> None:
        self._close_meter()
        device = self._device("input")
        self.meter.setValue(0)
        if device.isNull():
            return
        source = QAudioSource(device, audio_format(), self)
        source.setBufferSize(AUDIO_RATE // 25 * 2)
        io = source.start()
        if io is None:
            source.deleteLater()
            return
        io.readyRead.connect(self._read_meter)
        self._meter_source, self._meter_io = source, io

    def _read_meter(self) -> None:
        if self._meter_io is None:
            return
        raw = bytes(self._meter_io.readAll().data())
        if len(raw) < 2:
            return
        pcm = np.frombuffer(raw[: len(raw) // 2 * 2], dtype=np.int16)
        peak = float(np.abs(pcm.astype(np.int32)).max()) / 32768
        # in dB over 60 dB of range, as level meters show it
        self.meter.setValue(int(max(0.0, min(100.0, 100 + 100 * math.log10(max(peak, 1e-6)) / 3))))

    def _close_meter(self) -> None:
        source, self._meter_source, self._meter_io = self._meter_source, None, None
        if source is not None:
            source.stop()
            source.deleteLater()

    # ----- closing -----------------------------------------------------------------------------------------

    def accept(self) -> None:
        output, input_ = self.chosen()
        self.audio.set_devices(output=output, input=input_)
        if self.config is not None:
            try:
                update_config_file({"audio.output": output, "audio.input": input_}, self.config)
            except OSError as exc:
                logger.warning("audio devices not saved to %s: %s", self.config, exc)
        self._close_streams()
        super().accept()

    def reject(self) -> None:
        self._close_streams()
        super().reject()

    def _close_streams(self) -> None:
        self._stop_tone()
        self._close_meter()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Audio devices"))
        self.output_label.setText(self.tr("Loudspeaker or headset"))
        self.input_label.setText(self.tr("Microphone"))
        self.level_label.setText(self.tr("Microphone level"))
        self.test_button.setText(self.tr("Test tone"))
        if self.output_box.count():
            self.output_box.setItemText(0, self.tr("System default"))
            self.input_box.setItemText(0, self.tr("System default"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class SoundUi(QObject):
    """The window's sound parts: File → Audio devices…, and the status bar's warning (see the module docstring)."""

    def __init__(self, window: QMainWindow, audio: DeskAudio, config: Path | None) -> None:
        super().__init__(window)
        self.window = window
        self.audio = audio
        self.config = config
        self.action = QAction(window)
        self.action.setObjectName("action_audio_devices")
        self.action.triggered.connect(self.open_dialog)
        file_menu = getattr(window, "file_menu", None)
        quit_action = getattr(window, "quit_action", None)
        if file_menu is not None:
            file_menu.insertAction(quit_action, self.action)
            file_menu.insertSeparator(quit_action)
        self.label = QLabel(window)
        self.label.setObjectName("soundWarning")
        self.label.hide()
        status = window.statusBar()
        status.insertPermanentWidget(0, self.label)
        self.dialog: AudioDevicesDialog | None = None
        audio.changed.connect(self.refresh)
        window.installEventFilter(self)
        self.retranslate()
        self.refresh()

    def open_dialog(self) -> AudioDevicesDialog:
        dialog = AudioDevicesDialog(self.audio, self.config, self.window)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.dialog = dialog
        return dialog

    def refresh(self) -> None:
        problems = self.audio.problems()
        self.label.setText(" · ".join(problems))
        self.label.setVisible(bool(problems))

    def retranslate(self) -> None:
        self.action.setText(self.tr("Audio devices…"))
        self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        return False


def install_sound_ui(window: QMainWindow, audio: DeskAudio, config: Path | None = None) -> SoundUi:
    """Add File → Audio devices… and the status bar's sound warning to ``window``."""
    return SoundUi(window, audio, config)


def start_desk_sound(window: QMainWindow, desk: Any, sound: DeskSound, settings: DeskSettings | None,
                     config: Path | None = None) -> DeskAudio:
    """Open the desk's devices (``audio.*`` of ``settings``), play ``desk``'s mix on them, and add the menu entry and
    the status bar's warning to ``window``; `DeskAudio.close` before the desk closes, `DeskSound.close` after."""
    audio_settings = settings.audio if settings is not None else None
    audio = DeskAudio(sound, output=audio_settings.output if audio_settings is not None else "",
                      input=audio_settings.input if audio_settings is not None else "", parent=window)
    install_sound_ui(window, audio, config if config is not None else config_path())
    sound.attach(desk.media)
    audio.start()
    return audio

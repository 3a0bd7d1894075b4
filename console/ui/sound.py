"""The Qt desk's sound devices: the mix played on the loudspeaker or headset, the microphone read (QtMultimedia).

The core hands PCM over (console/core/sound.py): the mixer's chunks land in a `PlayoutRing`, and what the
microphone captures goes to the `MicFeed` the media workers read. Here the devices read and fill them, on an audio
thread of their own (`_AudioWorker` in a `QThread`): a long paint or a busy event loop on the GUI thread then
does not starve the device, which asks for a few milliseconds at a time.

- Output: a `QAudioSink` in pull mode (48 kHz mono int16) reads the ring through `_RingDevice`, with a device
  buffer of `OUTPUT_BUFFER` seconds; the ring adds its own prefill (50 ms), so the desk's playout delay stays
  under about 100 ms while an event loop late by a chunk does not run it dry.
- Input: a `QAudioSource` in push mode (48 kHz mono int16), each chunk handed to `DeskSound.take_microphone`.
- Priority: the audio thread and Qt's PulseAudio threads ask for nice -11 when the output opens
  (console/ui/audio_priority.py): on a busy machine, waiting to run is what delays the loudspeaker.

`DeskAudio` (GUI thread) chooses the devices: the configured ones (``audio.output``, ``audio.input``: a device's
description or id, "" for the system's default), else the system's default with a warning in the status bar when
the configured one is missing; it follows `QMediaDevices`' changes, so a device unplugged moves the sound to the
default and a device plugged back (or a new default) is used again, with no restart. A device that fails is tried
again every `RETRY_MS`. The desk runs on without any device at all.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QIODevice, QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QAudioSource, QMediaDevices, QtAudio

from console.core.sound import DeskSound, DeviceState
from console.ui.audio_priority import audio_threads, raise_priority
from console.ui.i18n import QT_TRANSLATE_NOOP
from console.ui.pulse_devices import pulse_device_names
from media.audio import AUDIO_RATE

logger = logging.getLogger(__name__)

__all__ = ["OUTPUT_BUFFER", "DeskAudio", "audio_format", "device_id", "find_device"]

#: seconds of audio the output device buffers itself
OUTPUT_BUFFER = 0.04
#: seconds of audio the input device hands over at a time (at most)
INPUT_BUFFER = 0.02
#: ms between two tries of a device that failed
RETRY_MS = 3000
#: seconds between two looks at the devices the sound server has (console/ui/pulse_devices.py)
WATCH_EVERY = 1.0
#: what is wrong with a device, by (direction, kind): %1 the detail (the configured name, the error), %2 the device
_PROBLEMS = {
    ("output", "missing"): QT_TRANSLATE_NOOP("DeskAudio", "Sound output %1 is not connected: playing on %2"),
    ("output", "none"): QT_TRANSLATE_NOOP("DeskAudio", "No sound output device: the desk's audio is not heard"),
    ("output", "failed"): QT_TRANSLATE_NOOP("DeskAudio", "Sound output %2 failed (%1): trying again"),
    ("input", "missing"): QT_TRANSLATE_NOOP("DeskAudio", "Microphone %1 is not connected: using %2"),
    ("input", "none"): QT_TRANSLATE_NOOP("DeskAudio", "No microphone: the desk's talk bursts carry no voice"),
    ("input", "failed"): QT_TRANSLATE_NOOP("DeskAudio", "Microphone %2 failed (%1): trying again"),
}


def audio_format(channels: int = 1) -> QAudioFormat:
    """48 kHz int16, the rate Opus and the desk's mixer use."""
    fmt = QAudioFormat()
    fmt.setSampleRate(AUDIO_RATE)
    fmt.setChannelCount(channels)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    return fmt


def device_id(device: QAudioDevice) -> str:
    """A device's id as text (what the settings file keeps)."""
    raw = device.id()
    return bytes(raw.data()).decode("utf-8", "replace") if hasattr(raw, "data") else str(raw)


def find_device(devices: list[QAudioDevice], wanted: str) -> QAudioDevice | None:
    """The device named ``wanted`` by id or by description (None when none is)."""
    for device in devices:
        if wanted in (device_id(device), device.description()):
            return device
    return None


class _RingDevice(QIODevice):
    """What the sink pulls: the playout ring, as bytes."""

    def __init__(self, sound: DeskSound, parent: QObject) -> None:
        super().__init__(parent)
        self._ring = sound.playout

    def readData(self, maxlen: int) -> bytes:
        return self._ring.read(max(0, maxlen) // 2).tobytes()

    def writeData(self, data: bytes | bytearray | memoryview, length: int, /) -> int:
        return -1

    def bytesAvailable(self) -> int:
        return (1 << 20) + super().bytesAvailable()  # always: the ring pads with silence

    def isSequential(self) -> bool:
        return True


class _AudioWorker(QObject):
    """The devices themselves, living on the audio thread (every slot runs there)."""

    #: (direction, serial of the request, description of the device now open or "")
    opened = Signal(str, int, str)
    #: (direction, serial of the request that opened it, what went wrong)
    failed = Signal(str, int, str)

    def __init__(self, sound: DeskSound, *, priority: bool = True) -> None:
        super().__init__()
        self.sound = sound
        #: raise the audio threads' priority when the output first opens (console/ui/audio_priority.py)
        self.priority = priority
        #: this thread's id (``threading.get_native_id``) once a device opened on it
        self.thread_id: int | None = None
        self._sink: QAudioSink | None = None
        self._ring_device: _RingDevice | None = None
        self._source: QAudioSource | None = None
        self._input_io: QIODevice | None = None

    @Slot(object, int)
    def open_output(self, device: QAudioDevice | None, serial: int) -> None:
        self._close_output()
        if device is None or device.isNull():
            self.opened.emit("output", serial, "")
            return
        self.sound.playout.reset()
        sink = QAudioSink(device, audio_format(), self)
        sink.setBufferSize(int(OUTPUT_BUFFER * AUDIO_RATE) * 2)
        ring = _RingDevice(self.sound, self)
        ring.open(QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Unbuffered)
        sink.stateChanged.connect(lambda: self._check(sink, "output", serial))
        self._sink, self._ring_device = sink, ring
        sink.start(ring)
        self.sound.device_buffer = sink.bufferSize() / 2 / AUDIO_RATE
        if self.thread_id is None:  # once: Qt's PulseAudio threads run by now
            self.thread_id = threading.get_native_id()
            self.sound.audio_priority = raise_priority(self.thread_id) if self.priority else "normal priority"
        if sink.error() != QtAudio.Error.NoError:
            self._check(sink, "output", serial)
            return
        self.opened.emit("output", serial, device.description())

    @Slot(object, int)
    def open_input(self, device: QAudioDevice | None, serial: int) -> None:
        self._close_input()
        if device is None or device.isNull():
            self.opened.emit("input", serial, "")
            return
        source = QAudioSource(device, audio_format(), self)
        source.setBufferSize(int(INPUT_BUFFER * AUDIO_RATE) * 2)
        source.stateChanged.connect(lambda: self._check(source, "input", serial))
        io = source.start()
        if io is None or source.error() != QtAudio.Error.NoError:
            self._source = source
            self._check(source, "input", serial)
            return
        io.readyRead.connect(self._read_input)
        self._source, self._input_io = source, io
        self.opened.emit("input", serial, device.description())

    def _read_input(self) -> None:
        io = self._input_io
        if io is None:
            return
        data = io.readAll()
        raw = bytes(data.data())
        if len(raw) >= 2:
            self.sound.take_microphone(np.frombuffer(raw[: len(raw) // 2 * 2], dtype=np.int16).copy())

    def _check(self, device: QAudioSink | QAudioSource, direction: str, serial: int) -> None:
        error = device.error()
        if error not in (QtAudio.Error.NoError, QtAudio.Error.UnderrunError):
            self.failed.emit(direction, serial, error.name)

    def _close_output(self) -> None:
        sink, self._sink = self._sink, None
        if sink is not None:
            sink.stateChanged.disconnect()
            sink.stop()
            sink.deleteLater()
        ring, self._ring_device = self._ring_device, None
        if ring is not None:
            ring.close()
            ring.deleteLater()

    def _close_input(self) -> None:
        source, self._source, self._input_io = self._source, None, None
        if source is not None:
            source.stateChanged.disconnect()
            source.stop()
            source.deleteLater()

    @Slot()
    def stop(self) -> None:
        """Close both devices, delete them here, and hand this object back to the GUI thread (which deletes it)."""
        self._close_output()
        self._close_input()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())


@dataclass
class _Direction:
    """One direction's choice: what is wanted, what is open, what is wrong."""

    name: str
    wanted: str
    #: id and description of the device asked to open (None: none)
    current: str | None = None
    chosen: str = ""
    #: description of the device open now ("" until the audio thread opened it)
    description: str = ""
    #: the last request to open a device: news of an older one is stale
    serial: int = 0
    #: (kind, detail): ("missing", name), ("none", ""), ("failed", error)
    problem: tuple[str, str] | None = None


class DeskAudio(QObject):
    """Chooses and follows the desk's devices and runs them on the audio thread (see the module docstring)."""

    #: a device changed, or its problem did (the status bar redraws)
    changed = Signal()
    _open_output = Signal(object, int)
    _open_input = Signal(object, int)
    #: the server's (sinks, sources) by name, or None when unknown (from the watch thread)
    _present = Signal(object)

    def __init__(self, sound: DeskSound, *, output: str = "", input: str = "", priority: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sound = sound
        self.priority = priority
        self.devices = QMediaDevices(self)
        self.directions = {"output": _Direction("output", output), "input": _Direction("input", input)}
        self._thread: QThread | None = None
        self._worker: _AudioWorker | None = None
        self._retry = QTimer(self)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self._retry_failed)
        #: device names the sound server has now (None: unknown, Qt's list is trusted)
        self.present: tuple[set[str], set[str]] | None = None
        self._present.connect(self._on_present)
        self._watching = threading.Event()
        self._watch: threading.Thread | None = None

    def start(self) -> None:
        """Start the audio thread and open the devices (idempotent)."""
        if self._thread is not None:
            return
        self._thread = QThread()
        self._thread.setObjectName("trunkdesk-audio")
        worker = self._worker = _AudioWorker(self.sound, priority=self.priority)
        worker.moveToThread(self._thread)
        self._open_output.connect(worker.open_output)
        self._open_input.connect(worker.open_input)
        worker.opened.connect(self._on_opened)
        worker.failed.connect(self._on_failed)
        self._thread.start()
        self.devices.audioOutputsChanged.connect(lambda: self._follow("output"))
        self.devices.audioInputsChanged.connect(lambda: self._follow("input"))
        self._follow("output")
        self._follow("input")
        self._watching.set()
        self._watch = threading.Thread(target=self._watch_devices, name="trunkdesk-sound-devices", daemon=True)
        self._watch.start()

    def _watch_devices(self) -> None:
        """The watch thread: what devices the server has, every `WATCH_EVERY` seconds (Qt misses unplugs)."""
        last: object = object()
        while self._watching.is_set():
            try:
                names = pulse_device_names()
            except Exception:  # a libpulse surprise must not end the desk's sound
                logger.exception("sound devices could not be listed")
                names = None
            if names != last:
                last = names
                if self._watching.is_set():
                    self._present.emit(names)
            for _ in range(int(WATCH_EVERY * 20)):
                if not self._watching.is_set():
                    return
                threading.Event().wait(0.05)

    def _on_present(self, names: tuple[set[str], set[str]] | None) -> None:
        if self._thread is None:
            return
        self.present = names
        self._follow("output")
        self._follow("input")

    def set_devices(self, *, output: str | None = None, input: str | None = None) -> None:
        """Use other devices from now on (the Audio devices dialog); "" is the system's default."""
        for name, wanted in (("output", output), ("input", input)):
            if wanted is not None and wanted != self.directions[name].wanted:
                self.directions[name].wanted = wanted
                self._follow(name, force=True)

    def _available(self, name: str) -> tuple[list[QAudioDevice], QAudioDevice | None]:
        """Qt's devices and default, less what the sound server no longer has (see `pulse_device_names`)."""
        if name == "output":
            devices, default = list(QMediaDevices.audioOutputs()), QMediaDevices.defaultAudioOutput()
        else:
            devices, default = list(QMediaDevices.audioInputs()), QMediaDevices.defaultAudioInput()
        if self.present is not None:
            names = self.present[0 if name == "output" else 1]
            devices = [d for d in devices if device_id(d) in names]
        if default.isNull() or all(device_id(d) != device_id(default) for d in devices):
            return devices, devices[0] if devices else None
        return devices, default

    def _follow(self, name: str, *, force: bool = False) -> None:
        """Choose ``name``'s device now and open it if it is not the one open."""
        direction = self.directions[name]
        devices, default = self._available(name)
        chosen: QAudioDevice | None = None
        problem: tuple[str, str] | None = None
        if direction.wanted:
            chosen = find_device(devices, direction.wanted)
            if chosen is None:
                problem = ("missing", direction.wanted)
        if chosen is None:
            chosen = default
        if chosen is None:
            problem = ("none", "")
        wanted_id = device_id(chosen) if chosen is not None else None
        failed = direction.problem is not None and direction.problem[0] == "failed"
        if force or wanted_id != direction.current or failed:
            direction.current = wanted_id
            direction.chosen = chosen.description() if chosen is not None else ""
            direction.description = ""
            direction.serial += 1
            (self._open_output if name == "output" else self._open_input).emit(chosen, direction.serial)
        self._set_problem(direction, problem)

    def _on_opened(self, name: str, serial: int, description: str) -> None:
        direction = self.directions[name]
        if serial != direction.serial:
            return
        direction.description = description
        if direction.problem is not None and direction.problem[0] == "failed":
            self._set_problem(direction, None)
        self._publish(direction)

    def _on_failed(self, name: str, serial: int, error: str) -> None:
        direction = self.directions[name]
        if serial != direction.serial:
            return  # a device closed since
        logger.warning("sound %s device %r failed: %s", name, direction.chosen, error)
        direction.current = None
        direction.description = ""
        self._set_problem(direction, ("failed", error))
        self._retry.start()

    def _retry_failed(self) -> None:
        failing = [d.name for d in self.directions.values() if d.problem is not None and d.problem[0] == "failed"]
        if not failing:
            self._retry.stop()
        for name in failing:
            self._follow(name)

    def _set_problem(self, direction: _Direction, problem: tuple[str, str] | None) -> None:
        if problem == direction.problem:
            self._publish(direction)
            return
        direction.problem = problem
        self._publish(direction)
        self.changed.emit()

    def _publish(self, direction: _Direction) -> None:
        self.sound.set_state(direction.name, DeviceState(
            wanted=direction.wanted, using=direction.description or None,
            problem=self.problem_text(direction.name, translated=False)))
        self.changed.emit()

    def audio_threads(self) -> list[int]:
        """The ids of the threads that feed the devices (the audio thread, Qt's PulseAudio threads); empty until the
        output opened once."""
        worker = self._worker
        if worker is None or worker.thread_id is None:
            return []
        return audio_threads(worker.thread_id)

    def problem_text(self, name: str, *, translated: bool = True) -> str | None:
        """What is wrong with ``name``'s device, for the status bar (translated) or the log (English)."""
        direction = self.directions[name]
        if direction.problem is None:
            return None
        kind, detail = direction.problem
        using = direction.chosen
        if kind == "missing" and not using:
            kind = "none"
        text = _PROBLEMS[(name, kind)]
        if translated:
            text = QCoreApplication.translate("DeskAudio", text)
        return text.replace("%1", detail).replace("%2", using or "-")

    def problems(self) -> list[str]:
        """Every device problem now, translated (empty when all is well)."""
        return [text for name in ("output", "input") if (text := self.problem_text(name)) is not None]

    def close(self) -> None:
        """Close the devices and stop the audio thread (before the core's sound closes)."""
        self._retry.stop()
        self._watching.clear()
        if self._watch is not None:
            self._watch.join(5)
            self._watch = None
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if thread is None or worker is None:
            return
        QMetaObject.invokeMethod(worker, "stop", Qt.ConnectionType.BlockingQueuedConnection)
        thread.quit()
        thread.wait(5000)
        worker.deleteLater()

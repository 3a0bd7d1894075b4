"""A private PulseAudio daemon with virtual devices, for tests and benchmarks of the desk's real sound path.

`PrivatePulse.start()` runs ``pulseaudio`` (Debian packages ``pulseaudio`` and ``pulseaudio-utils``, which ./dev
installs) with a runtime folder in a temporary directory, its own configuration (no autodetected hardware, no
other clients' config), ``--exit-idle-time=-1`` and these devices:

- ``desk_out``: a null sink, the desk's loudspeaker; what the desk plays is captured from ``desk_out.monitor``;
- ``mouth``: a null sink that a test plays into (`play`); its monitor is remapped into the source ``desk_mic``, the
  desk's microphone (Qt lists real sources only, never monitors).

Root is fine without ``--system`` (PulseAudio warns and runs). Qt and the pulse tools find the daemon through
``PULSE_SERVER`` (and ``PULSE_RUNTIME_PATH``), set in `env`; `use()` sets them in this process's environment,
which must happen before QtMultimedia first connects (its PulseAudio context is made once per process). `stop()`
ends the daemon (SIGTERM, then SIGKILL) and removes the folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

RATE = 48_000
#: the devices of the configuration (see the module docstring)
OUTPUT_SINK, MOUTH_SINK, MIC_SOURCE = "desk_out", "mouth", "desk_mic"


class PulseUnavailable(RuntimeError):
    """PulseAudio cannot run here; the message says why (tests skip with it)."""


class PrivatePulse:
    """One private daemon (see the module docstring)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="trunkdesk-pulse-"))
        self.runtime = self.folder / "runtime"
        self.socket = self.runtime / "native"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        return {"PULSE_SERVER": f"unix:{self.socket}", "PULSE_RUNTIME_PATH": str(self.runtime),
                "PULSE_COOKIE": str(self.folder / "cookie")}

    def _config(self) -> Path:
        path = self.folder / "default.pa"
        path.write_text("\n".join([
            f"load-module module-native-protocol-unix auth-anonymous=1 socket={self.socket}",
            f"load-module module-null-sink sink_name={OUTPUT_SINK} rate={RATE} channels=2 "
            "sink_properties=device.description=DeskOut",
            f"load-module module-null-sink sink_name={MOUTH_SINK} rate={RATE} channels=1 "
            "sink_properties=device.description=Mouth",
            f"load-module module-remap-source master={MOUTH_SINK}.monitor source_name={MIC_SOURCE} "
            "source_properties=device.description=DeskMic",
            f"set-default-sink {OUTPUT_SINK}",
            f"set-default-source {MIC_SOURCE}",
            "",
        ]))
        return path

    def start(self, timeout: float = 10.0) -> PrivatePulse:
        binary = shutil.which("pulseaudio")
        if binary is None or shutil.which("pactl") is None:
            raise PulseUnavailable("pulseaudio and pulseaudio-utils are not installed (./dev installs them)")
        self.runtime.mkdir(mode=0o700)
        home = self.folder / "home"
        home.mkdir()
        env = {**os.environ, **self.env, "HOME": str(home), "XDG_RUNTIME_DIR": str(self.runtime),
               "XDG_CONFIG_HOME": str(home / ".config")}
        log = (self.folder / "pulse.log").open("wb")
        self.process = subprocess.Popen(
            [binary, "-n", "-F", str(self._config()), "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
             "--disallow-module-loading=no", "--log-target=stderr", "--log-level=notice"],
            env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                text = (self.folder / "pulse.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise PulseUnavailable(f"pulseaudio exited with {self.process.returncode}: {text}")
            if self.socket.exists() and self.pactl("info", check=False).returncode == 0:
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise PulseUnavailable("pulseaudio did not answer within the time allowed")
            time.sleep(0.05)

    def use(self) -> None:
        """Point this process (Qt, the pulse tools it runs) at the daemon."""
        os.environ.update(self.env)

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["pactl", *args], env={**os.environ, **self.env}, capture_output=True, text=True,
                              check=check, timeout=10)

    def load(self, module: str, *args: str) -> int:
        """Load a module (a device plugged in); its index."""
        return int(self.pactl("load-module", module, *args).stdout.strip())

    def unload(self, index: int) -> None:
        """Unload a module (a device unplugged)."""
        self.pactl("unload-module", str(index))

    def play(self, pcm: npt.NDArray[np.int16], sink: str = MOUTH_SINK) -> subprocess.Popen[bytes]:
        """Play mono 48 kHz int16 into ``sink`` (the desk's microphone hears ``mouth``); the running ``pacat`` (wait for
        it, or kill it to stop early)."""
        player = subprocess.Popen(["pacat", "--playback", f"--device={sink}", f"--rate={RATE}", "--channels=1",
                                   "--format=s16le", "--latency-msec=20"], stdin=subprocess.PIPE,
                                  env={**os.environ, **self.env})
        stdin = player.stdin
        assert stdin is not None
        data = pcm.astype("<i2").tobytes()

        def feed() -> None:  # pacat takes it at the playback rate: never block the caller (an event loop)
            with contextlib.suppress(OSError):
                stdin.write(data)
            with contextlib.suppress(OSError):
                stdin.close()

        threading.Thread(target=feed, name="pacat-feed", daemon=True).start()
        return player

    @contextlib.contextmanager
    def capture(self, source: str = f"{OUTPUT_SINK}.monitor") -> Iterator[Capture]:
        """Record ``source`` (by default what the desk plays) while the block runs."""
        capture = Capture(source, self.env)
        try:
            yield capture
        finally:
            capture.stop()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


class Capture:
    """``parec`` of a source into memory, mono 48 kHz int16, each chunk stamped with `time.monotonic` on arrival."""

    CHUNK = 240  # samples (5 ms)

    def __init__(self, source: str, env: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            ["parec", f"--device={source}", f"--rate={RATE}", "--channels=1", "--format=s16le", "--latency-msec=5"],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env={**os.environ, **env})
        self._chunks: list[tuple[float, npt.NDArray[np.int16]]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, name="parec", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        stream = self._process.stdout
        assert stream is not None
        size = self.CHUNK * 2
        while True:
            data = stream.read(size)
            if not data:
                return
            now = time.monotonic()
            pcm = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.int16)
            with self._lock:
                self._chunks.append((now, pcm))

    def samples(self) -> npt.NDArray[np.int16]:
        """Everything captured so far."""
        with self._lock:
            chunks = [pcm for _, pcm in self._chunks]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)

    def last(self, seconds: float) -> npt.NDArray[np.int16]:
        return self.samples()[-int(seconds * RATE):]

    def chunks(self) -> list[tuple[float, npt.NDArray[np.int16]]]:
        """(arrival time, samples) of every chunk so far."""
        with self._lock:
            return list(self._chunks)

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(5)
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(5)
        self._thread.join(5)  # the pipe ended with the process
        if self._process.stdout is not None:
            self._process.stdout.close()

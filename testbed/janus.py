"""The testbed's own Janus: a generated configuration, the ``janus`` child process, its start, stop and faults.

`JanusProcess` writes a complete configuration into a folder of its own (never /etc/janus): ``janus.jcfg`` plus
the configurations of the only plugins (VideoRoom, AudioBridge) and the only transport (WebSockets) it loads. It
loads them from folders of symbolic links to just those libraries, so every other plugin, transport, event
handler and logger of the package stays out of the process. The API listens on 127.0.0.1 only (another address
must be asked for), the admin API is off unless a port is given (then on 127.0.0.1 with a random secret), no
STUN or TURN server, no mDNS resolution of candidates, and ICE gathers on the interfaces or addresses the caller
enforces (``ice_enforce``: Janus cannot do ICE over loopback, so tests give it a veth address inside a network
namespace). The RTP port range and the API port are settings; Janus logs (with timestamps) to ``janus.log``.

Start waits until the API answers an ``info`` request; stop sends SIGTERM, then SIGKILL after a grace period;
`kill` and `restart` are there for fault tests (the same port and configuration come back).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Self

from media.janus import JanusClient, JanusError, JsonObject

log = logging.getLogger(__name__)

__all__ = [
    "INSTALL_COMMAND",
    "JanusConfig",
    "JanusNotInstalled",
    "JanusProcess",
    "JanusStartError",
    "find_janus",
    "janus_library_folder",
    "write_config",
]

#: the Debian package; what a missing binary's error tells the user to run
INSTALL_COMMAND = "apt-get install -y janus"
PLUGINS = {"videoroom": "libjanus_videoroom.so", "audiobridge": "libjanus_audiobridge.so"}
TRANSPORT = "libjanus_websockets.so"
_LIBRARY_FOLDERS = ("/usr/lib/x86_64-linux-gnu/janus", "/usr/lib/aarch64-linux-gnu/janus", "/usr/lib/janus",
                    "/usr/local/lib/janus", "/opt/janus/lib/janus")


class JanusNotInstalled(RuntimeError):
    """``janus`` (or its plugins) is not installed; the message carries the command that installs it."""

    def __init__(self, what: str = "the janus program is not on PATH") -> None:
        super().__init__(f"Janus media plane unavailable: {what}. Install it with: {INSTALL_COMMAND} "
                         "(as root, or with sudo)")


class JanusStartError(RuntimeError):
    """Janus exited or its API did not answer in time; the message ends with the tail of its log."""


@dataclass(frozen=True)
class JanusConfig:
    """What the generated configuration says. Every field has a safe default for a single machine."""

    #: the API's WebSocket address: keep it on loopback (only the platform talks to Janus)
    api_host: str = "127.0.0.1"
    #: 0: a free port chosen at the first start and kept across restarts
    api_port: int = 0
    #: None: admin API off; a port (0: a free one): admin API on ``api_host`` with a random secret
    admin_port: int | None = None
    #: first and last UDP port of media (RTP/RTCP, ICE)
    rtp_ports: tuple[int, int] = (20000, 20999)
    #: interfaces or addresses ICE may use (Janus's ``ice_enforce_list``); empty: all but those ignored
    ice_enforce: tuple[str, ...] = ()
    #: interfaces or addresses ICE must not use (``ice_ignore_list``; unused when ``ice_enforce`` is set)
    ice_ignore: tuple[str, ...] = ("vmnet",)
    #: plugins to load, among `PLUGINS`
    plugins: tuple[str, ...] = ("videoroom", "audiobridge")
    ipv6: bool = False
    #: Janus's log level, 0 (nothing) to 7 (everything); 4 is Janus's default (info)
    debug_level: int = 4
    #: seconds without a request after which Janus drops a session (the client sends keepalives)
    session_timeout: int = 60
    #: seconds without media before Janus sends a ``media`` event with ``receiving: false``
    no_media_timer: int = 1
    #: lost packets per second that trigger a ``slowlink`` event (0: never)
    slowlink_threshold: int = 4
    server_name: str = "trunkdesk-janus"
    #: where the plugin and transport libraries are (None: found among the usual folders)
    library_folder: Path | None = None

    def __post_init__(self) -> None:
        low, high = self.rtp_ports
        if not 1024 <= low < high <= 65535:
            raise ValueError(f"RTP port range {low}-{high} must be increasing, within 1024-65535")
        unknown = set(self.plugins) - set(PLUGINS)
        if unknown:
            raise ValueError(f"unknown Janus plugins {sorted(unknown)}: choose among {sorted(PLUGINS)}")
        if not 0 <= self.debug_level <= 7:
            raise ValueError("debug_level is 0 to 7")
        for entry in (*self.ice_enforce, *self.ice_ignore):
            if not entry or any(c in entry for c in ',"\n'):
                raise ValueError(f"bad ICE interface or address {entry!r}")

    @property
    def api_url(self) -> str:
        host = f"[{self.api_host}]" if ":" in self.api_host else self.api_host
        return f"ws://{host}:{self.api_port}"


def find_janus() -> str:
    """The path of the ``janus`` program; `JanusNotInstalled` when it is not on PATH."""
    path = shutil.which("janus")
    if path is None:
        raise JanusNotInstalled()
    return path


def janus_library_folder(config: JanusConfig | None = None) -> Path:
    """The folder holding Janus's ``plugins`` and ``transports``; `JanusNotInstalled` when none does."""
    candidates = [config.library_folder] if config is not None and config.library_folder else []
    candidates += [Path(p) for p in _LIBRARY_FOLDERS]
    for folder in candidates:
        if folder is not None and (folder / "transports" / TRANSPORT).exists():
            return folder
    raise JanusNotInstalled(f"no Janus plugin folder with {TRANSPORT} in {', '.join(map(str, candidates))}")


# ----- configuration -----------------------------------------------------------------------------------------

Setting = str | int | bool | Sequence[str]


def _value(value: Setting) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "[" + ", ".join(_value(v) for v in value) + "]"


def jcfg(sections: Mapping[str, Mapping[str, Setting]]) -> str:
    """Render sections of settings in Janus's libconfig syntax (``name: { key = value }``)."""
    lines = ["# generated by trunkdesk (testbed/janus.py): edit JanusConfig, not this file"]
    for name, settings in sections.items():
        lines.append(f"{name}: {{")
        lines += [f"\t{key} = {_value(value)}" for key, value in settings.items()]
        lines.append("}")
    return "\n".join(lines) + "\n"


def _link_libraries(source: Path, target: Path, names: Iterable[str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        library = source / name
        if not library.exists():
            raise JanusNotInstalled(f"{library} is missing")
        link = target / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(library)


def write_config(config: JanusConfig, folder: Path, *, admin_secret: str = "") -> Path:
    """Write the whole configuration into ``folder`` (config files and library links); the janus.jcfg path."""
    folder.mkdir(parents=True, exist_ok=True)
    libraries = janus_library_folder(config)
    plugins, transports = folder / "plugins", folder / "transports"
    _link_libraries(libraries / "plugins", plugins, [PLUGINS[p] for p in config.plugins])
    _link_libraries(libraries / "transports", transports, [TRANSPORT])
    for empty in ("events", "loggers"):
        (folder / empty).mkdir(exist_ok=True)
    general: dict[str, Setting] = {
        "configs_folder": str(folder), "plugins_folder": str(plugins), "transports_folder": str(transports),
        "events_folder": str(folder / "events"), "loggers_folder": str(folder / "loggers"),
        "debug_level": config.debug_level, "debug_timestamps": True, "debug_colors": False,
        "session_timeout": config.session_timeout, "reclaim_session_timeout": 0,
        "server_name": config.server_name, "exit_on_dl_error": True,
        # Janus may only write below this folder (recordings, permanent rooms are off anyway)
        "protected_folders": ["/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/sbin", "/sys", "/usr", "/var"],
    }
    if config.admin_port is not None:
        general["admin_secret"] = admin_secret
    nat: dict[str, Setting] = {"nice_debug": False, "full_trickle": False, "ignore_mdns": True}
    if config.ice_enforce:
        nat["ice_enforce_list"] = ",".join(config.ice_enforce)
    elif config.ice_ignore:
        nat["ice_ignore_list"] = ",".join(config.ice_ignore)
    media: dict[str, Setting] = {
        "ipv6": config.ipv6, "rtp_port_range": f"{config.rtp_ports[0]}-{config.rtp_ports[1]}",
        "no_media_timer": config.no_media_timer, "slowlink_threshold": config.slowlink_threshold,
    }
    core = jcfg({"general": general, "certificates": {}, "media": media, "nat": nat,
                 "plugins": {}, "transports": {}, "loggers": {}, "events": {"broadcast": False}})
    (folder / "janus.jcfg").write_text(core)
    websockets: dict[str, Setting] = {"json": "compact", "ws": True, "ws_port": config.api_port,
                                      "ws_ip": config.api_host, "wss": False, "ws_logging": "err,warn"}
    admin: dict[str, Setting] = {"admin_ws": config.admin_port is not None, "admin_wss": False}
    if config.admin_port is not None:
        admin.update(admin_ws_port=config.admin_port, admin_ws_ip=config.api_host)
    (folder / "janus.transport.websockets.jcfg").write_text(
        jcfg({"general": websockets, "admin": admin, "cors": {}, "certificates": {}}))
    # rooms are created through the API by the platform, never from files; no permanent rooms
    if "videoroom" in config.plugins:
        (folder / "janus.plugin.videoroom.jcfg").write_text(jcfg({"general": {"string_ids": False}}))
    if "audiobridge" in config.plugins:
        (folder / "janus.plugin.audiobridge.jcfg").write_text(jcfg({"general": {"string_ids": False}}))
    return folder / "janus.jcfg"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


# ----- the process -------------------------------------------------------------------------------------------


def _with_parent_death_signal(argv: list[str]) -> list[str]:
    """``argv`` run so that the kernel kills it when the thread that started it ends (util-linux's setpriv, when
    there: a test killed on timeout or a crashed platform leaves no Janus holding its ports or a namespace)."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--", *argv] if setpriv else argv


@dataclass
class _Run:
    process: subprocess.Popen[bytes]


class JanusProcess:
    """Janus as a child process with a generated configuration (see the module docstring).

    ``folder`` keeps the configuration and the log (default: a temporary folder removed by `stop` unless
    ``keep_files``). Use ``async with JanusProcess(config) as janus:`` or `start` / `stop`.
    """

    def __init__(self, config: JanusConfig | None = None, *, folder: Path | None = None, keep_files: bool = False,
                 start_timeout: float = 15.0, stop_grace: float = 5.0) -> None:
        self.config = config or JanusConfig()
        self._folder = folder
        self._owns_folder = folder is None
        self.keep_files = keep_files
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self.admin_secret = os.urandom(16).hex() if self.config.admin_port is not None else ""
        self._run: _Run | None = None
        #: Janus's ``server_info`` from the last start
        self.info: JsonObject = {}

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.stop()

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="trunkdesk-janus-"))
        return self._folder

    @property
    def log_path(self) -> Path:
        return self.folder / "janus.log"

    @property
    def url(self) -> str:
        """The API's WebSocket URL (ports are fixed at the first start)."""
        return self.config.api_url

    @property
    def admin_url(self) -> str | None:
        if self.config.admin_port is None:
            return None
        return replace(self.config, api_port=self.config.admin_port).api_url

    @property
    def pid(self) -> int | None:
        return self._run.process.pid if self._run is not None else None

    @property
    def running(self) -> bool:
        return self._run is not None and self._run.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        """The last lines Janus logged (for error messages and failed tests)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _fix_ports(self) -> None:
        if self.config.api_port == 0:
            self.config = replace(self.config, api_port=free_port(self.config.api_host))
        if self.config.admin_port == 0:
            self.config = replace(self.config, admin_port=free_port(self.config.api_host))

    async def start(self) -> None:
        """Write the configuration, start ``janus`` and return once its API answers ``info``.

        Raises `JanusNotInstalled` when the program or its plugins are missing, `JanusStartError` when Janus exits
        or does not answer within ``start_timeout`` seconds (with the tail of its log).
        """
        if self.running:
            return
        binary = find_janus()
        self._fix_ports()
        config_file = write_config(self.config, self.folder, admin_secret=self.admin_secret)
        process = self._spawn([binary, "--config", str(config_file), "--configs-folder", str(self.folder)])
        self._run = _Run(process)
        log.info("janus started (pid %d), API %s, log %s", process.pid, self.url, self.log_path)
        try:
            self.info = await self._wait_ready()
        except BaseException:
            await self._terminate(grace=0.0)
            raise
        plugins = sorted((self.info.get("plugins") or {}).keys())
        log.info("janus %s ready: plugins %s", self.info.get("version_string", "?"), ", ".join(plugins))

    def _spawn(self, argv: list[str]) -> subprocess.Popen[bytes]:
        """Start janus in a session of its own (a Ctrl-C on the terminal is for us; we stop it), output to the log,
        killed by the kernel if we die first (no orphaned Janus holding ports or a test's network namespace)."""
        with open(self.log_path, "ab") as log_file:
            return subprocess.Popen(_with_parent_death_signal(argv), stdin=subprocess.DEVNULL, stdout=log_file,
                                    stderr=subprocess.STDOUT, cwd=self.folder, start_new_session=True)

    async def _wait_ready(self) -> JsonObject:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.start_timeout
        last_error = "no answer yet"
        while loop.time() < deadline:
            run = self._run
            assert run is not None
            if run.process.poll() is not None:
                raise JanusStartError(f"janus exited with status {run.process.returncode} while starting "
                                      f"(API {self.url})\n--- {self.log_path}\n{self.log_tail()}")
            try:
                async with await JanusClient.connect(self.url, timeout=1.0, ping_interval=None) as client:
                    info = await client.info(timeout=2.0)
                if info.get("janus") == "server_info":
                    return info
                last_error = f"unexpected answer to info: {info.get('janus')}"
            except (OSError, JanusError) as exc:
                last_error = str(exc)
            await asyncio.sleep(0.05)
        raise JanusStartError(f"janus did not answer on {self.url} within {self.start_timeout:g} s ({last_error})"
                              f"\n--- {self.log_path}\n{self.log_tail()}")

    async def _terminate(self, *, grace: float) -> int | None:
        run, self._run = self._run, None
        if run is None:
            return None
        process = run.process
        if process.poll() is None and grace > 0:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGCONT)  # a paused Janus cannot handle SIGTERM
                process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(process.wait, grace)
        if process.poll() is None:
            log.warning("janus (pid %d) did not stop within %g s: killed", process.pid, grace)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        return await asyncio.to_thread(process.wait)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after ``stop_grace`` seconds; removes a temporary folder unless ``keep_files``."""
        await self._terminate(grace=self.stop_grace)
        if self._owns_folder and not self.keep_files and self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    async def kill(self) -> None:
        """SIGKILL now, as a crash would (for fault tests); `start` or `restart` brings Janus back."""
        await self._terminate(grace=0.0)

    async def restart(self) -> None:
        """Stop (or kill, if it hangs) and start again on the same ports with the same configuration."""
        await self._terminate(grace=self.stop_grace)
        await self.start()

    def pause(self) -> None:
        """SIGSTOP: Janus stops answering but keeps its sockets open (a hung media server)."""
        if self._run is not None:
            self._run.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after `pause`."""
        if self._run is not None:
            self._run.process.send_signal(signal.SIGCONT)

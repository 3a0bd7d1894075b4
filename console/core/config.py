"""The desk's settings file, ``config.toml`` in the user's config folder (every key: docs/configuration.md).

Qt-free, shared by the Qt desk and headless runs. A bad value never stops the desk: `load_settings` keeps
the default for that key and reports one problem naming the file and the key, e.g.
``config.toml: media.allowed_addresses[1]: '300.1.1.1' is not an IP address``. Command-line flags override
the file (``overrides``, by the same dotted keys, checked the same way). Secrets are never stored here: the
dispatcher's password comes from a password file or is asked for; TURN credentials from credential files.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import ssl
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, cast

from platformdirs import user_config_dir

from console.core.quality_settings import QualitySettings, read_quality
from media.commands import IceServer
from protocols.aio.tls import ssl_context

logger = logging.getLogger(__name__)

CONFIG_NAME = "config.toml"
LANGUAGES = ("zh_CN", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: keys that would hold a secret: refused with advice, never read
_SECRET_KEYS = {"dispatcher.password": "dispatcher.password_file", "platform.token": "a token file",
                "media.turn_servers[].credential": "credential_file",
                "media.turn_servers[].password": "credential_file"}
#: keys that meant something once and are ignored now: a file that still has them loads, with this said about them
_RETIRED_KEYS = {
    "media.plane": "the platform decides the media plane (direct or Janus) and says so for each media session",
    "media.janus_url": "only the platform talks to Janus; the desk needs no address of it",
}


class ConfigError(ValueError):
    """A settings file or a file it names cannot be used; the message says which and why."""


@dataclass(frozen=True)
class TlsSettings:
    """How the desk checks the platform's certificate (``wss://``)."""

    #: PEM bundle of the CA that signs the platform's certificates (None: the system's trust store)
    ca_file: Path | None = None
    verify: bool = True


@dataclass(frozen=True)
class PlatformSettings:
    urls: tuple[str, ...] = ()
    #: IP addresses of the interfaces to browse for announced instances when ``urls`` is empty (SPEC §8)
    discover_on: tuple[str, ...] = ()
    #: allow the password over plain ws:// off loopback (isolated test networks only)
    allow_plain: bool = False
    tls: TlsSettings = field(default_factory=TlsSettings)


@dataclass(frozen=True)
class DispatcherSettings:
    user: str = ""
    #: a file whose first line is the password (None: ask at sign-in)
    password_file: Path | None = None


@dataclass(frozen=True)
class TurnServer:
    url: str
    username: str = ""
    #: a file whose first line is the TURN credential
    credential_file: Path | None = None


@dataclass(frozen=True)
class MediaSettings:
    allowed_interfaces: tuple[str, ...] = ()
    allowed_addresses: tuple[str, ...] = ()
    stun_servers: tuple[str, ...] = ()
    turn_servers: tuple[TurnServer, ...] = ()
    #: voice links kept open ahead to members of the monitored groups (MediaOptions.warm_voice_links); 0: none
    warm_voice_links: int = 8

    @property
    def allowed(self) -> tuple[str, ...]:
        """Where media may flow: the allowed addresses, then the allowed interfaces (`media.ice` entries)."""
        return self.allowed_addresses + self.allowed_interfaces


@dataclass(frozen=True)
class AudioSettings:
    #: device names; "" is the system's default device
    input: str = ""
    output: str = ""


@dataclass(frozen=True)
class PttSettings:
    #: key names as Qt writes them ("Space", "F12", "Ctrl+T"); "" keeps the desk's own setting
    key: str = ""
    pedal: str = ""


@dataclass(frozen=True)
class UiSettings:
    #: "" follows the last choice, else the system's language
    language: str = ""
    reset_layout: bool = False


@dataclass(frozen=True)
class LogSettings:
    level: str = "INFO"
    #: where the rotating log files go (None: the user's log folder)
    directory: Path | None = None


@dataclass(frozen=True)
class RecordingSettings:
    #: where recordings and their index go (None: ``recordings`` next to the event log)
    folder: Path | None = None
    #: days a recording is kept; older ones are deleted at start and daily
    keep_days: float = 30.0


@dataclass(frozen=True)
class DeskSettings:
    """Everything the settings file can say, with the defaults of a file that says nothing."""

    platform: PlatformSettings = field(default_factory=PlatformSettings)
    dispatcher: DispatcherSettings = field(default_factory=DispatcherSettings)
    media: MediaSettings = field(default_factory=MediaSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    ptt: PttSettings = field(default_factory=PttSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    logging: LogSettings = field(default_factory=LogSettings)
    recording: RecordingSettings = field(default_factory=RecordingSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)


@dataclass(frozen=True)
class LoadedSettings:
    """The settings in force, the problems found on the way (each naming file or flag and key), the file."""

    settings: DeskSettings
    problems: tuple[str, ...]
    path: Path
    #: the file exists (False on the first run)
    found: bool


def config_path() -> Path:
    """``config.toml`` in the user's config folder (platformdirs)."""
    return Path(user_config_dir("trunkdesk")) / CONFIG_NAME


# ----- reading ---------------------------------------------------------------------------------------------------


def load_settings(path: Path | None = None, *, overrides: Mapping[str, object] | None = None) -> LoadedSettings:
    """Read the settings file (a missing file is the defaults), apply ``overrides`` (dotted keys such as
    ``platform.urls``, from command-line flags) and check every value. Never raises for a bad value."""
    path = path or config_path()
    problems: list[str] = []
    data: dict[str, Any] = {}
    found = path.exists()
    if found:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path.name}: cannot be read ({exc}); using the defaults")
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{path.name}: not valid TOML ({exc}); using the defaults")
    given = dict(overrides or {})
    for key, value in given.items():
        _set_dotted(data, key, value)
    reader = _Reader(path.name, path.parent, given)
    settings = reader.settings(data)
    problems += reader.problems
    for problem in problems:  # the callers show them (message box, stderr); loaded before logging is set up
        logger.info("settings: %s", problem)
    return LoadedSettings(settings, tuple(problems), path, found)


def parse_urls(text: str) -> list[str]:
    """Addresses typed by a person: separated by commas, spaces or new lines; ``ws://`` added when missing.
    Raises `ConfigError` for an address of another scheme."""
    urls = []
    for raw in text.replace(",", " ").split():
        url = raw if "://" in raw else f"ws://{raw}"
        if not url.startswith(("ws://", "wss://")):
            raise ConfigError(f"{raw!r} is not a ws:// or wss:// address")
        urls.append(url)
    return urls


def read_secret_file(path: Path, what: str = "password") -> str:
    """The first line of a password or credential file; `ConfigError` saying why when there is none."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the {what} file {path}: {exc}") from None
    if not lines or not lines[0]:
        raise ConfigError(f"the {what} file {path} is empty")
    return lines[0]


def client_tls(settings: DeskSettings) -> ssl.SSLContext:
    """The SSL context for ``wss://`` instances the settings ask for (the CA file, verification on or off)."""
    tls = settings.platform.tls
    return ssl_context(tls.ca_file, verify=tls.verify)


def ice_servers(media: MediaSettings) -> tuple[IceServer, ...]:
    """The STUN and TURN servers for the media engine (none unless configured), TURN credentials read from
    their files; `ConfigError` when a credential file cannot be read."""
    servers = [IceServer(urls=(url,)) for url in media.stun_servers]
    for turn in media.turn_servers:
        credential = read_secret_file(turn.credential_file, "TURN credential") if turn.credential_file else None
        servers.append(IceServer(urls=(turn.url,), username=turn.username or None, credential=credential))
    return tuple(servers)


def settings_summary(settings: DeskSettings) -> list[str]:
    """``key = value`` lines of every setting (the settings hold no secret: only the paths of secret files)."""
    lines: list[str] = []

    def walk(prefix: str, value: object) -> None:
        if is_dataclass(value) and not isinstance(value, type):
            for f in fields(value):
                walk(f"{prefix}.{f.name}" if prefix else f.name, getattr(value, f.name))
        elif isinstance(value, tuple) and value and is_dataclass(value[0]):
            lines.append(f"{prefix} = {[_plain(asdict(cast(Any, item))) for item in value]}")
        else:
            lines.append(f"{prefix} = {_plain(value)!r}")

    walk("", settings)
    return lines


def _plain(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _set_dotted(data: dict[str, Any], key: str, value: object) -> None:
    *tables, last = key.split(".")
    node = data
    for name in tables:
        child = node.get(name)
        if not isinstance(child, dict):
            child = {}
            node[name] = child
        node = child
    node[last] = value


def _kind(value: object) -> str:
    for kind, name in ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string"),
                       (list, "a list"), (dict, "a table")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


class _Reader:
    """Checks the parsed TOML key by key, keeping the defaults for bad values and noting each problem."""

    def __init__(self, source: str, folder: Path, overrides: Mapping[str, object]) -> None:
        self.source = source
        self.folder = folder
        self.overrides = overrides
        self.problems: list[str] = []

    def problem(self, key: str, text: str) -> None:
        base = key.split("[", 1)[0]
        where = "command line" if base in self.overrides else self.source
        self.problems.append(f"{where}: {key}{text if text.startswith(' ') else ': ' + text}")

    def table(self, data: Mapping[str, Any], key: str, known: Sequence[str]) -> dict[str, Any]:
        name = key.rsplit(".", 1)[-1]
        value = data.get(name, {})
        if not isinstance(value, dict):
            self.problem(key, f" must be a table (got {_kind(value)})")
            return {}
        for extra in sorted(set(value) - set(known)):
            full = f"{key}.{extra}"
            if full in _SECRET_KEYS:
                self.problem(full, f"secrets are never stored in the settings file: use {_SECRET_KEYS[full]}")
            elif full in _RETIRED_KEYS:
                self.problem(full, f"no longer used (ignored): {_RETIRED_KEYS[full]}")
            else:
                self.problem(full, "unknown key (ignored)")
        return value

    def string(self, table: Mapping[str, Any], key: str, default: str = "",
               check: Callable[[str], str | None] | None = None) -> str:
        value = table.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, str):
            self.problem(key, f" must be a string (got {_kind(value)})")
            return default
        wrong = check(value) if check is not None and value else None
        if wrong is not None:
            self.problem(key, f"{value!r} {wrong}")
            return default
        return value

    def number(self, table: Mapping[str, Any], key: str, default: float, *, minimum: float) -> float:
        """A number above ``minimum``."""
        value = table.get(key.rsplit(".", 1)[-1], default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(key, f" must be a number (got {_kind(value)})")
            return default
        if not value > minimum:
            self.problem(key, f" must be above {minimum:g} (got {value:g})")
            return default
        return float(value)

    def count(self, table: Mapping[str, Any], key: str, default: int) -> int:
        """A whole number, 0 or more."""
        value = table.get(key.rsplit(".", 1)[-1], default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f" must be a whole number (got {_kind(value)})")
            return default
        if value < 0:
            self.problem(key, f" must be 0 or more (got {value})")
            return default
        return value

    def boolean(self, table: Mapping[str, Any], key: str, default: bool) -> bool:
        value = table.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, bool):
            self.problem(key, f" must be true or false (got {_kind(value)})")
            return default
        return value

    def choice(self, table: Mapping[str, Any], key: str, choices: Sequence[str], default: str) -> str:
        allowed = ", ".join(repr(c) for c in choices)
        return self.string(table, key, default, lambda v: None if v in choices else f"is not one of {allowed}")

    def strings(self, table: Mapping[str, Any], key: str,
                check: Callable[[str], str | None] | None = None) -> tuple[str, ...]:
        value = table.get(key.rsplit(".", 1)[-1], [])
        if not isinstance(value, list):
            self.problem(key, f" must be a list of strings (got {_kind(value)})")
            return ()
        kept = []
        for n, item in enumerate(value):
            if not isinstance(item, str):
                self.problem(f"{key}[{n}]", f" must be a string (got {_kind(item)})")
                continue
            wrong = check(item) if check is not None else None
            if wrong is not None:
                self.problem(f"{key}[{n}]", f"{item!r} {wrong}")
                continue
            kept.append(item)
        return tuple(kept)

    def path(self, table: Mapping[str, Any], key: str, *, file: bool = True) -> Path | None:
        text = self.string(table, key)
        if not text:
            return None
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = self.folder / path
        if file and not path.is_file():
            self.problem(key, f"{text!r}: no such file")
            return None
        return path

    def secret_file(self, table: Mapping[str, Any], key: str) -> Path | None:
        path = self.path(table, key)
        if path is not None and path.stat().st_mode & 0o077:
            self.problem(key, f"{str(path)!r} can be read by other users (chmod 600 it)")
        return path

    # ----- the sections -----------------------------------------------------------------------------------

    def settings(self, data: Mapping[str, Any]) -> DeskSettings:
        for extra in sorted(set(data) - {"platform", "dispatcher", "media", "audio", "ptt", "ui", "logging",
                                         "recording", "quality"}):
            what = "section" if isinstance(data[extra], dict) else "key"
            self.problem(extra, f"unknown {what} (ignored)")
        return DeskSettings(platform=self.platform(data), dispatcher=self.dispatcher(data), media=self.media(data),
                            audio=self.audio(data), ptt=self.ptt(data), ui=self.ui(data), logging=self.logs(data),
                            recording=self.recording(data), quality=read_quality(self, data))

    def platform(self, data: Mapping[str, Any]) -> PlatformSettings:
        table = self.table(data, "platform", ("urls", "discover_on", "allow_plain", "tls"))
        tls_table = self.table(table, "platform.tls", ("ca_file", "verify"))
        urls = self.strings(table, "platform.urls", _url_problem)
        return PlatformSettings(
            urls=tuple(u if "://" in u else f"ws://{u}" for u in urls),
            discover_on=self.strings(table, "platform.discover_on", _address_problem),
            allow_plain=self.boolean(table, "platform.allow_plain", False),
            tls=TlsSettings(ca_file=self.path(tls_table, "platform.tls.ca_file"),
                            verify=self.boolean(tls_table, "platform.tls.verify", True)),
        )

    def dispatcher(self, data: Mapping[str, Any]) -> DispatcherSettings:
        table = self.table(data, "dispatcher", ("user", "password_file"))
        return DispatcherSettings(user=self.string(table, "dispatcher.user"),
                                  password_file=self.secret_file(table, "dispatcher.password_file"))

    def media(self, data: Mapping[str, Any]) -> MediaSettings:
        table = self.table(data, "media", ("allowed_interfaces", "allowed_addresses", "stun_servers",
                                           "turn_servers", "warm_voice_links"))
        return MediaSettings(
            allowed_interfaces=self.strings(table, "media.allowed_interfaces", _interface_problem),
            allowed_addresses=self.strings(table, "media.allowed_addresses", _address_problem),
            stun_servers=self.strings(table, "media.stun_servers", _scheme_problem("stun:", "stuns:")),
            turn_servers=self.turn_servers(table),
            warm_voice_links=self.count(table, "media.warm_voice_links", 8),
        )

    def turn_servers(self, table: Mapping[str, Any]) -> tuple[TurnServer, ...]:
        value = table.get("turn_servers", [])
        if not isinstance(value, list):
            self.problem("media.turn_servers", f" must be a list of tables (got {_kind(value)})")
            return ()
        servers = []
        for n, item in enumerate(value):
            key = f"media.turn_servers[{n}]"
            if not isinstance(item, dict):
                self.problem(key, f" must be a table with url, username, credential_file (got {_kind(item)})")
                continue
            for extra in sorted(set(item) - {"url", "username", "credential_file"}):
                secret = f"media.turn_servers[].{extra}"
                advice = (f"secrets are never stored in the settings file: use {_SECRET_KEYS[secret]}"
                          if secret in _SECRET_KEYS else "unknown key (ignored)")
                self.problem(f"{key}.{extra}", advice)
            if not item.get("url"):
                self.problem(f"{key}.url", "a TURN server needs a turn: or turns: url")
                continue
            url = self.string(item, f"{key}.url", check=_scheme_problem("turn:", "turns:"))
            if not url:
                continue
            servers.append(TurnServer(url=url, username=self.string(item, f"{key}.username"),
                                      credential_file=self.secret_file(item, f"{key}.credential_file")))
        return tuple(servers)

    def audio(self, data: Mapping[str, Any]) -> AudioSettings:
        table = self.table(data, "audio", ("input", "output"))
        return AudioSettings(input=self.string(table, "audio.input"), output=self.string(table, "audio.output"))

    def ptt(self, data: Mapping[str, Any]) -> PttSettings:
        table = self.table(data, "ptt", ("key", "pedal"))
        return PttSettings(key=self.string(table, "ptt.key", check=_key_problem),
                           pedal=self.string(table, "ptt.pedal", check=_key_problem))

    def ui(self, data: Mapping[str, Any]) -> UiSettings:
        table = self.table(data, "ui", ("language", "reset_layout"))
        language = self.string(table, "ui.language", check=lambda v: None if v in LANGUAGES
                               else f"is not one of {', '.join(repr(x) for x in LANGUAGES)}")
        return UiSettings(language=language, reset_layout=self.boolean(table, "ui.reset_layout", False))

    def logs(self, data: Mapping[str, Any]) -> LogSettings:
        table = self.table(data, "logging", ("level", "directory"))
        levels = ", ".join(LOG_LEVELS)
        level = self.string(table, "logging.level", "INFO",
                            check=lambda v: None if v.upper() in LOG_LEVELS else f"is not one of {levels}")
        return LogSettings(level=level.upper(), directory=self.path(table, "logging.directory", file=False))


    def recording(self, data: Mapping[str, Any]) -> RecordingSettings:
        table = self.table(data, "recording", ("folder", "keep_days"))
        return RecordingSettings(folder=self.path(table, "recording.folder", file=False),
                                 keep_days=self.number(table, "recording.keep_days", 30.0, minimum=0.0))


def _url_problem(url: str) -> str | None:
    full = url if "://" in url else f"ws://{url}"
    return None if full.startswith(("ws://", "wss://")) else "is not a ws:// or wss:// address"


def _address_problem(text: str) -> str | None:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return "is not an IP address"
    return None


def _interface_problem(name: str) -> str | None:
    if not name or any(c.isspace() for c in name) or "/" in name or len(name) > 15:
        return "is not an interface name"
    return None


def _key_problem(key: str) -> str | None:
    return "is not a key name" if key.strip() != key or not key.strip() else None


def _scheme_problem(*schemes: str) -> Callable[[str], str | None]:
    def check(url: str) -> str | None:
        return None if url.startswith(schemes) else f"does not start with {' or '.join(schemes)}"
    return check


# ----- writing ---------------------------------------------------------------------------------------------------


def update_config_file(changes: Mapping[str, object], path: Path | None = None) -> Path:
    """Set ``changes`` (dotted keys) in the settings file, keeping every other key; the file written.

    Comments are not kept. A file that is not valid TOML is kept aside as ``config.toml.bak`` first."""
    path = path or config_path()
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            backup = path.with_name(path.name + ".bak")
            logger.warning("settings file %s unreadable (%s): kept as %s", path, exc, backup)
            path.replace(backup)
    data = copy.deepcopy(data)
    for key, value in changes.items():
        _set_dotted(data, key, _plain(value))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(data), encoding="utf-8")
    logger.info("settings saved to %s", path)
    return path


def to_toml(data: Mapping[str, Any]) -> str:
    """TOML for the plain data of a settings file (strings, booleans, numbers, lists, tables)."""
    out: list[str] = []
    _emit_table(out, [], data)
    return "\n".join(out).lstrip("\n") + "\n"


def _emit_table(out: list[str], path: list[str], table: Mapping[str, Any]) -> None:
    scalars = {k: v for k, v in table.items() if not _is_table(v) and not _is_table_list(v)}
    if path and (scalars or not any(_is_table(v) or _is_table_list(v) for v in table.values())):
        out += ["", f"[{'.'.join(_toml_key(p) for p in path)}]"]
    out += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars.items()]
    for key, value in table.items():
        if _is_table(value):
            _emit_table(out, [*path, key], value)
        elif _is_table_list(value):
            for item in value:
                out += ["", f"[[{'.'.join(_toml_key(p) for p in [*path, key])}]]"]
                out += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in item.items()]


def _is_table(value: object) -> bool:
    return isinstance(value, dict)


def _is_table_list(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _toml_key(key: str) -> str:
    return key if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key) else _toml_string(key)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return _toml_string(str(value))


def _toml_string(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


__all__ = ["CONFIG_NAME", "AudioSettings", "ConfigError", "DeskSettings", "DispatcherSettings", "LoadedSettings",
           "LogSettings", "MediaSettings", "PlatformSettings", "PttSettings", "RecordingSettings",
           "TlsSettings", "TurnServer", "UiSettings",
           "client_tls", "config_path", "ice_servers", "load_settings", "parse_urls", "read_secret_file",
           "settings_summary", "to_toml", "update_config_file"]

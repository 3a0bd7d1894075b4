"""The metro line a testbed runs: stations, depots, trains, terminals, talk groups, dispatcher roles and
accounts, and a compact timetable, read from a YAML file (format: docs/line-format.md).

`load_line` checks the whole file and raises one `LineError` that lists every problem as file:line:col.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import math
import os
import sys
import sysconfig
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Final, Literal, get_args

import yaml
import yaml.constructor

from protocols.messages import Direction, Subsystem, TerminalKind

logger = logging.getLogger(__name__)

FORMAT_VERSION: Final = 1
#: What a dispatcher role may be allowed to do beyond talking in its groups.
PERMISSIONS: Final = frozenset({"override", "force_release", "broadcast", "regroup", "terminal_control",
                                "pis_push", "emergency_ack", "video"})
GroupKind = Literal["talk", "all_call", "station"]
#: Demo-only plain texts behind the hashes in resources/lines/sample-line.yaml (documented, never real).
SAMPLE_PASSWORD: Final = "demo"
SAMPLE_TERMINAL_SECRET: Final = "demo-terminal"
SAMPLE_OVERRIDE_SECRETS: Final = {"HS-040": "demo-police"}
#: A chainage this close to a station's (metres) counts as at the station.
STATION_TOLERANCE_M: Final = 100.0

_HASH_SCHEME = "pbkdf2_sha256"
_TAG = "tag:yaml.org,2002:"
_POSITION_ZH = {"cab": "司机室", "saloon": "客室", "platform": "站台", "concourse": "站厅", "yard": "场区"}
_STAFF = {"station_staff": ("Station staff", "站务员"), "maintenance": ("Maintenance", "维修人员"),
          "police": ("Police", "公安"), "depot_staff": ("Depot staff", "场段人员")}


class LineError(ValueError):
    """A problem in a line file at file:line:col. The one `load_line` raises lists all in ``errors``."""

    def __init__(self, file: str, line: int, column: int, message: str,
                 errors: list[LineError] | None = None) -> None:
        self.file, self.line, self.column, self.message = file, line, column, message
        self.errors: list[LineError] = errors if errors is not None else [self]
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"{e.file}:{e.line}:{e.column}: {e.message}" for e in self.errors)


# ----- the line -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Station:
    """A passenger station; ``tunnel`` marks an underground station (docs/line-format.md)."""

    code: str
    name: str
    name_zh: str
    chainage_m: float
    tunnel: bool = False
    radios: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()


@dataclass(frozen=True)
class Depot:
    """A depot or stabling yard, joined to the line near ``station`` at ``connection_chainage_m``."""

    code: str
    name: str
    name_zh: str
    station: str
    connection_chainage_m: float
    radios: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()


@dataclass(frozen=True)
class ControlCentre:
    """The operations control centre (OCC) where the dispatch consoles sit."""

    code: str
    name: str
    name_zh: str
    radios: tuple[str, ...] = ()


@dataclass(frozen=True)
class Train:
    """A train by running number, with its cab radio and on-board cameras (terminal ids)."""

    number: str
    radio: str
    cameras: tuple[str, ...] = ()
    depot: str | None = None


@dataclass(frozen=True)
class Terminal:
    """Any terminal of the line; ``station`` is the home station, depot or OCC of fixed ones and of staff."""

    id: str
    kind: TerminalKind
    name: str
    name_zh: str
    station: str | None = None
    train: str | None = None
    secret_hash: str = ""
    #: kind of staff carrying a handset or recorder (station_staff, maintenance, police, ...)
    staff: str | None = None
    #: where a camera looks (cab, saloon, platform, concourse, ...)
    position: str | None = None


@dataclass(frozen=True)
class Group:
    """A talk group: ``members`` are its default members' terminal ids, ``selectors`` as the file says."""

    id: str
    name: str
    name_zh: str
    subsystem: Subsystem
    kind: GroupKind
    members: tuple[str, ...]
    selectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class DispatcherRole:
    """What a dispatcher of this role may use: talk groups (ids) and permissions (see `PERMISSIONS`)."""

    name: str
    groups: tuple[str, ...]
    permissions: frozenset[str]


@dataclass(frozen=True)
class Dispatcher:
    """A dispatcher account; ``password_hash`` comes from `hash_password`."""

    user: str
    role: str
    display_name: str
    password_hash: str


@dataclass(frozen=True)
class TimetablePosition:
    """Where the timetable puts a train: at ``station``, or past it and heading for ``next_station``."""

    station: str
    next_station: str | None
    chainage_m: float
    direction: Direction
    at_station: bool


@dataclass(frozen=True)
class Departure:
    """A train's first departure: from terminus ``origin`` at ``first_s`` seconds after service start."""

    train: str
    origin: str
    first_s: float
    direction: Direction


@dataclass(frozen=True)
class Timetable:
    """Trains shuttle between the termini: run, dwell, turn round, repeat, from their first departure.

    "up" is the direction of increasing chainage. Times are seconds since service start.
    """

    stations: tuple[Station, ...]
    #: run time of each section, ``run_s[i]`` between ``stations[i]`` and ``stations[i + 1]``
    run_s: tuple[float, ...]
    #: dwell time at each station (not used at the termini, where ``turnaround_s`` applies)
    dwell_s: tuple[float, ...]
    turnaround_s: float
    departures: dict[str, Departure]
    #: clock times of service start and end, seconds after midnight
    service_start_s: int = 6 * 3600
    service_end_s: int = 23 * 3600

    @property
    def trip_s(self) -> float:
        """Time from leaving one terminus to arriving at the other."""
        return self._trip("up")[1][-1]

    def position(self, train_number: str, t: float) -> TimetablePosition:
        """Where ``train_number`` should be ``t`` seconds after service start (KeyError: not timetabled).

        Before its first departure a train waits at its origin; the pattern then repeats without end.
        """
        departure = self.departures[train_number]
        direction = departure.direction
        elapsed = t - departure.first_s
        if elapsed < 0:
            return self._at(departure.origin, direction)
        trip = self.trip_s
        legs, phase = divmod(elapsed, trip + self.turnaround_s)
        if int(legs) % 2:
            direction = _reverse(direction)
        order, arrive, depart = self._trip(direction)
        if phase >= trip:  # turning round at the far terminus: already the next trip's direction
            return self._at(self.stations[order[-1]].code, _reverse(direction))
        for j in range(len(order) - 1):
            here, there = self.stations[order[j]], self.stations[order[j + 1]]
            if phase < depart[j]:
                return self._at(here.code, direction)
            if phase < arrive[j + 1]:
                share = (phase - depart[j]) / (arrive[j + 1] - depart[j])
                chainage = here.chainage_m + share * (there.chainage_m - here.chainage_m)
                return TimetablePosition(here.code, there.code, chainage, direction, at_station=False)
        raise AssertionError("phase beyond the trip")  # pragma: no cover

    def planned(self, train_number: str, until: float | None = None) -> list[tuple[float, float]]:
        """(time, chainage) at every planned arrival and departure up to ``until`` (default: service end)."""
        departure = self.departures[train_number]
        end = self.service_end_s - self.service_start_s if until is None else until
        points: list[tuple[float, float]] = []
        start, direction = departure.first_s, departure.direction
        while start <= end:
            order, arrive, depart = self._trip(direction)
            for j, index in enumerate(order):
                chainage = self.stations[index].chainage_m
                points.append((start + arrive[j], chainage))
                if depart[j] > arrive[j]:
                    points.append((start + depart[j], chainage))
            start += arrive[-1] + self.turnaround_s
            direction = _reverse(direction)
        return [p for p in points if p[0] <= end]

    def _at(self, code: str, direction: Direction) -> TimetablePosition:
        station = next(s for s in self.stations if s.code == code)
        return TimetablePosition(code, None, station.chainage_m, direction, at_station=True)

    def _trip(self, direction: Direction) -> tuple[list[int], list[float], list[float]]:
        """Station indices in running order with arrival and departure times from the trip's start."""
        n = len(self.stations)
        order = list(range(n)) if direction == "up" else list(range(n - 1, -1, -1))
        arrive, depart = [0.0], [0.0]
        for j in range(1, n):
            arrive.append(depart[-1] + self.run_s[min(order[j - 1], order[j])])
            depart.append(arrive[-1] + (self.dwell_s[order[j]] if j < n - 1 else 0.0))
        return order, arrive, depart


def _reverse(direction: Direction) -> Direction:
    return "down" if direction == "up" else "up"


@dataclass(frozen=True)
class Line:
    """A whole metro line as loaded from its file; collections are keyed by id in file order."""

    name: str
    name_zh: str
    description: str
    stations: tuple[Station, ...]
    depots: tuple[Depot, ...]
    control_centre: ControlCentre | None
    trains: dict[str, Train]
    terminals: dict[str, Terminal]
    groups: dict[str, Group]
    roles: dict[str, DispatcherRole]
    dispatchers: dict[str, Dispatcher]
    timetable: Timetable

    def station(self, code: str) -> Station:
        """The station with this code (KeyError if none)."""
        for station in self.stations:
            if station.code == code:
                return station
        raise KeyError(code)

    def terminal(self, terminal_id: str) -> Terminal:
        return self.terminals[terminal_id]

    def group(self, group_id: str) -> Group:
        return self.groups[group_id]

    def groups_of(self, terminal_id: str) -> tuple[str, ...]:
        """Ids of the groups the terminal is a default member of."""
        return tuple(g.id for g in self.groups.values() if terminal_id in g.members)

    def neighbours(self, code: str) -> tuple[Station | None, Station | None]:
        """The stations before (lower chainage) and after this one; None past a terminus."""
        index = self.stations.index(self.station(code))
        before = self.stations[index - 1] if index > 0 else None
        after = self.stations[index + 1] if index + 1 < len(self.stations) else None
        return before, after

    def stations_between(self, chainage_m: float,
                         tolerance_m: float = STATION_TOLERANCE_M) -> tuple[Station, Station | None]:
        """(station, None) within ``tolerance_m`` of a station, else the two stations around the chainage
        in increasing chainage. ValueError outside the line."""
        for station in self.stations:
            if abs(station.chainage_m - chainage_m) <= tolerance_m:
                return station, None
        for before, after in pairwise(self.stations):
            if before.chainage_m < chainage_m < after.chainage_m:
                return before, after
        raise ValueError(f"chainage {chainage_m:.0f} m is outside line {self.name}")

    def in_tunnel(self, chainage_m: float) -> bool:
        """True at an underground station, or between two."""
        here, there = self.stations_between(chainage_m)
        return here.tunnel and (there is None or there.tunnel)


# ----- passwords and secrets ------------------------------------------------------------------


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = 200_000) -> str:
    """A salted PBKDF2-SHA256 hash string, ``pbkdf2_sha256$ITERATIONS$SALT$HASH`` (base64)."""
    if iterations < 1:
        raise ValueError("iterations must be positive")
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return "$".join((_HASH_SCHEME, str(iterations), _b64(salt), _b64(digest)))


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches a `hash_password` string; False also for a malformed one."""
    parsed = _parse_hash(stored)
    if parsed is None:
        return False
    iterations, salt, digest = parsed
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return hmac.compare_digest(candidate, digest)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _parse_hash(stored: str) -> tuple[int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != _HASH_SCHEME or not parts[1].isdigit():
        return None
    try:
        salt, digest = base64.b64decode(parts[2], validate=True), base64.b64decode(parts[3], validate=True)
    except (binascii.Error, ValueError):
        return None
    iterations = int(parts[1])
    if not 1 <= iterations <= 10_000_000 or not salt or not digest:
        return None
    return iterations, salt, digest


# ----- loading --------------------------------------------------------------------------------


def resource_folders() -> list[Path]:
    """Where trunkdesk's resources folder may be, in the order console/ui/resources.py looks too:
    ``$TRUNKDESK_RESOURCES``, a PyInstaller bundle, the checkout, an installed ``share/trunkdesk/resources``."""
    folders = [Path(env)] if (env := os.environ.get("TRUNKDESK_RESOURCES")) else []
    if bundle := getattr(sys, "_MEIPASS", None):
        folders.append(Path(bundle) / "resources")
    folders.append(Path(__file__).resolve().parent.parent / "resources")
    for scheme in (None, f"{os.name}_user"):  # pip install . / pip install --user .
        data = sysconfig.get_path("data", scheme) if scheme else sysconfig.get_path("data")
        folders.append(Path(data) / "share" / "trunkdesk" / "resources")
    return folders


def default_line_path() -> Path:
    """The sample line (resources/lines/sample-line.yaml) in the first resources folder that has it."""
    relative = Path("lines") / "sample-line.yaml"
    folders = resource_folders()
    found = next((folder / relative for folder in folders if (folder / relative).is_file()), None)
    return found or Path(__file__).resolve().parent.parent / "resources" / relative


def load_line(path: str | Path) -> Line:
    """Read and check a line file; LineError lists every problem found (OSError if it cannot be read)."""
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = data[:exc.start].count(b"\n") + 1, exc.start - data.rfind(b"\n", 0, exc.start)
        raise LineError(str(path), line, column, "not UTF-8 text") from None
    return parse_line(text, str(path))


def parse_line(text: str, file: str = "<line>") -> Line:
    """Check and build a line from YAML text; ``file`` names it in errors."""
    reader = _Reader(file)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        reason = ", ".join(part for part in (exc.context, exc.problem) if part)
        raise LineError(file, line, column, f"not valid YAML: {reason}") from None
    except yaml.YAMLError as exc:
        raise LineError(file, 1, 1, f"not valid YAML: {exc}") from None
    if root is None:
        raise LineError(file, 1, 1, "the file is empty")
    line_ = _Builder(reader).build(root)
    if reader.errors or line_ is None:
        errors = sorted(reader.errors, key=lambda e: (e.line, e.column))
        first = errors[0]
        raise LineError(first.file, first.line, first.column, first.message, errors)
    logger.info("line %s loaded from %s: %d stations, %d trains, %d terminals, %d groups", line_.name, file,
                len(line_.stations), len(line_.trains), len(line_.terminals), len(line_.groups))
    return line_


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _TAG + "null":
        return "nothing (null)"
    kind = {"str": "text", "int": "the number", "float": "the number", "bool": "the flag"}
    return f"{kind.get(node.tag.removeprefix(_TAG), node.tag)} '{_short(node.value)}'"


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


class _Reader:
    """Reads composed YAML nodes into values, recording each problem with its position."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[LineError] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def error(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.errors.append(LineError(self.file, mark.line + 1, mark.column + 1, message))

    def label(self, node: yaml.Node, what: str, key: str) -> str:
        """``what`` named by the value of ``key`` when the node has it, for messages."""
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key and isinstance(v, yaml.ScalarNode):
                    return f"{what} '{v.value}'"
        return what

    def pairs(self, node: yaml.Node | None, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """(key, key node, value node) of a mapping; duplicate and non-text keys are errors."""
        if node is None:
            return []
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what}: expected a mapping, got {_describe(node)}")
            return []
        seen: dict[str, yaml.Node] = {}
        out: list[tuple[str, yaml.Node, yaml.Node]] = []
        for key_node, value in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"{what}: keys must be text")
            elif key_node.value in seen:
                first = seen[key_node.value].start_mark.line + 1
                self.error(key_node, f"{what}: duplicate key '{key_node.value}' (first at line {first})")
            else:
                seen[key_node.value] = key_node
                out.append((key_node.value, key_node, value))
        return out

    def fields(self, node: yaml.Node | None, what: str, required: str,
               optional: str = "") -> dict[str, yaml.Node]:
        """The values of a mapping with these keys; unknown and missing keys are errors."""
        if node is None:
            return {}
        allowed = required.split() + optional.split()
        found: dict[str, yaml.Node] = {}
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what}: expected a mapping, got {_describe(node)}")
            return found
        for key, key_node, value in self.pairs(node, what):
            if key in allowed:
                found[key] = value
            else:
                self.error(key_node, f"{what}: unknown key '{key}' (expected one of: {', '.join(allowed)})")
        for key in required.split():
            if key not in found:
                self.error(node, f"{what}: missing required key '{key}'")
        return found

    def items(self, node: yaml.Node | None, what: str) -> list[yaml.Node]:
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what}: expected a list, got {_describe(node)}")
            return []
        return list(node.value)

    def text(self, node: yaml.Node | None, what: str, default: str = "") -> str:
        """Text (numbers are read as written, so 1901 and 0123 stay as they are)."""
        if node is None:
            return default
        if isinstance(node, yaml.ScalarNode) and node.tag in (_TAG + "str", _TAG + "int"):
            return str(node.value)
        self.error(node, f"{what}: expected text, got {_describe(node)}")
        return default

    def word(self, node: yaml.Node | None, what: str) -> str | None:
        """Text, or None (after an error) when the value is not text."""
        if node is None:
            return None
        errors = len(self.errors)
        value = self.text(node, what)
        return value if len(self.errors) == errors else None

    def ident(self, node: yaml.Node | None, what: str) -> str | None:
        """An id or code: non-empty text without spaces or ':' (which selectors use)."""
        value = self.word(node, what)
        if node is None or value is None:
            return None
        if not value or ":" in value or any(c.isspace() for c in value):
            self.error(node, f"{what}: '{value}' is not a valid id (non-empty, no spaces, no ':')")
            return None
        return value

    def idents(self, node: yaml.Node | None, what: str) -> list[tuple[str, yaml.Node]]:
        out: list[tuple[str, yaml.Node]] = []
        for item in self.items(node, what):
            value = self.ident(item, what)
            if value is not None:
                out.append((value, item))
        return out

    def number(self, node: yaml.Node | None, what: str, sign: str = "any") -> float | None:
        """A finite number; ``sign`` "positive" or "non_negative" restricts it."""
        if node is None:
            return None
        if not (isinstance(node, yaml.ScalarNode) and node.tag in (_TAG + "int", _TAG + "float")):
            self.error(node, f"{what}: expected a number, got {_describe(node)}")
            return None
        try:
            value = float(self._constructor.construct_object(node))
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            self.error(node, f"{what}: expected a finite number, got {_short(node.value)}")
        elif sign == "positive" and value <= 0:
            self.error(node, f"{what}: must be positive, got {_short(node.value)}")
        elif sign == "non_negative" and value < 0:
            self.error(node, f"{what}: must not be negative, got {_short(node.value)}")
        else:
            return value
        return None

    def flag(self, node: yaml.Node | None, what: str) -> bool:
        if node is None:
            return False
        if isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "bool":
            return bool(self._constructor.construct_object(node))
        self.error(node, f"{what}: expected true or false, got {_describe(node)}")
        return False

    def choice(self, node: yaml.Node | None, what: str, options: tuple[str, ...], default: str) -> str:
        value = self.text(node, what, default)
        if value not in options:
            assert node is not None
            self.error(node, f"{what}: '{value}' is not one of: {', '.join(options)}")
            return default
        return value

    def clock(self, node: yaml.Node | None, what: str) -> int | None:
        """A clock time "HH:MM" or "HH:MM:SS" as seconds after midnight (read as written: YAML 1.1
        would turn an unquoted 23:00 into the number 1380)."""
        if node is None:
            return None
        parts = str(node.value).split(":") if isinstance(node, yaml.ScalarNode) else []
        if len(parts) in (2, 3) and all(p.isdigit() and len(p) <= 2 for p in parts):
            h, m, s = (int(p) for p in [*parts, "0"][:3])
            if h <= 24 and m < 60 and s < 60:
                return h * 3600 + m * 60 + s
        self.error(node, f"{what}: expected a clock time like \"06:00\", got {_describe(node)}")
        return None

    def password_hash(self, node: yaml.Node | None, what: str) -> str:
        value = self.text(node, what)
        if node is not None and value and _parse_hash(value) is None:
            self.error(node, f"{what}: not a hash from hash_password ('{_HASH_SCHEME}$ITERATIONS$SALT$HASH')")
        return value



class _Builder:
    """Builds a `Line` section by section; each reference is checked against the sections read before it."""

    def __init__(self, reader: _Reader) -> None:
        self.r = reader
        self.seen: dict[str, dict[str, yaml.Node]] = {}
        self.places: dict[str, str] = {}  # station, depot and OCC codes -> what they are
        self.terminals: dict[str, Terminal] = {}
        self.trains: dict[str, Train] = {}
        self.groups: dict[str, Group] = {}
        self.roles: dict[str, DispatcherRole] = {}

    def build(self, root: yaml.Node) -> Line | None:
        r = self.r
        top = r.fields(root, "line file", "format line stations groups roles dispatchers terminal_secrets",
                       "control_centre depots trains handsets recorders timetable")
        if not isinstance(root, yaml.MappingNode):
            return None
        version = r.number(top.get("format"), "format")
        if version is not None and version != FORMAT_VERSION:
            r.error(top["format"], f"format: version {version:g} unsupported (expected {FORMAT_VERSION})")
        info = r.fields(top.get("line"), "line", "name name_zh", "description")
        name = r.text(info.get("name"), "line name")
        name_zh = r.text(info.get("name_zh"), "line name_zh", name)
        description = r.text(info.get("description"), "line description")
        stations = self.read_stations(top.get("stations"))
        occ = self.read_control_centre(top.get("control_centre"))
        depots = self.read_depots(top.get("depots"))
        self.read_trains(top.get("trains"))
        self.read_staff(top.get("handsets"), "handset")
        self.read_staff(top.get("recorders"), "recorder")
        self.read_secrets(top.get("terminal_secrets"))
        self.read_groups(top.get("groups"))
        self.read_roles(top.get("roles"))
        dispatchers = self.read_dispatchers(top.get("dispatchers"))
        timetable = self.read_timetable(top.get("timetable"), stations)
        if r.errors:
            return None
        return Line(name, name_zh, description, stations, depots, occ, self.trains, self.terminals,
                    self.groups, self.roles, dispatchers, timetable)

    def add(self, category: str, key: str | None, node: yaml.Node) -> bool:
        """Register ``key``; False (and an error naming the first definition) if it is taken or None."""
        if key is None:
            return False
        seen = self.seen.setdefault(category, {})
        if key in seen:
            first = seen[key].start_mark.line + 1
            self.r.error(node, f"duplicate {category} '{key}' (first at line {first})")
            return False
        seen[key] = node
        return True

    def add_terminal(self, node: yaml.Node, terminal: Terminal) -> None:
        if self.add("terminal id", terminal.id, node):
            self.terminals[terminal.id] = terminal

    def place(self, fields: dict[str, yaml.Node], what: str, kind: str) -> tuple[str, str, str]:
        """Code, name and Chinese name of a station, depot or control centre, registering the code."""
        code = self.r.ident(fields.get("code"), f"{what} code")
        if code is not None and self.add("code", code, fields["code"]):
            self.places[code] = kind
        name = self.r.text(fields.get("name"), f"{what} name")
        return code or "", name, self.r.text(fields.get("name_zh"), f"{what} name_zh", name)

    def read_radios(self, node: yaml.Node | None, code: str, name: str, name_zh: str) -> tuple[str, ...]:
        radios = self.r.idents(node, f"{code} radios")
        for i, (radio, radio_node) in enumerate(radios, 1):
            terminal = Terminal(radio, "station", f"{name} radio {i}", f"{name_zh}固定台{i}", station=code)
            self.add_terminal(radio_node, terminal)
        return tuple(radio for radio, _ in radios)

    def read_cameras(self, node: yaml.Node | None, what: str, name: str, name_zh: str, *,
                     station: str | None = None, train: str | None = None) -> tuple[str, ...]:
        ids: list[str] = []
        for item in self.r.items(node, f"{what} cameras"):
            f = self.r.fields(item, f"{what} camera", "id", "position")
            camera = self.r.ident(f.get("id"), f"{what} camera id")
            position = self.r.text(f.get("position"), f"{what} camera position")
            if camera is not None:
                label = position or camera
                label_zh = _POSITION_ZH.get(label, label)
                self.add_terminal(f["id"], Terminal(
                    camera, "camera", f"{name} {label} camera", f"{name_zh}{label_zh}摄像机",
                    station=station, train=train, position=position or None))
                ids.append(camera)
        return tuple(ids)

    def read_stations(self, node: yaml.Node | None) -> tuple[Station, ...]:
        r = self.r
        stations: list[Station] = []
        last: tuple[str, float] | None = None
        for item in r.items(node, "stations"):
            what = r.label(item, "station", "code")
            f = r.fields(item, what, "code name chainage_m", "name_zh tunnel radios cameras")
            code, name, name_zh = self.place(f, what, "station")
            chainage = r.number(f.get("chainage_m"), f"{what} chainage_m")
            if chainage is not None:
                if last is not None and chainage <= last[1]:
                    r.error(f["chainage_m"], f"{what} chainage_m: {chainage:g} is not greater than "
                            f"{last[0]}'s {last[1]:g}; list stations in strictly increasing chainage")
                last = (code, chainage)
            radios = self.read_radios(f.get("radios"), code, name, name_zh)
            cameras = self.read_cameras(f.get("cameras"), what, name, name_zh, station=code)
            tunnel = r.flag(f.get("tunnel"), f"{what} tunnel")
            stations.append(Station(code, name, name_zh, chainage or 0.0, tunnel, radios, cameras))
        if node is not None and isinstance(node, yaml.SequenceNode) and len(stations) < 2:
            r.error(node, "stations: a line needs at least two stations")
        return tuple(stations)

    def read_control_centre(self, node: yaml.Node | None) -> ControlCentre | None:
        if node is None:
            return None
        f = self.r.fields(node, "control_centre", "code name", "name_zh radios")
        code, name, name_zh = self.place(f, "control_centre", "control centre")
        return ControlCentre(code, name, name_zh, self.read_radios(f.get("radios"), code, name, name_zh))

    def read_depots(self, node: yaml.Node | None) -> tuple[Depot, ...]:
        r = self.r
        depots: list[Depot] = []
        for item in r.items(node, "depots"):
            what = r.label(item, "depot", "code")
            f = r.fields(item, what, "code name station connection_chainage_m", "name_zh radios cameras")
            code, name, name_zh = self.place(f, what, "depot")
            station = r.ident(f.get("station"), f"{what} station")
            if station is not None and self.places.get(station) != "station":
                r.error(f["station"], f"{what} station: unknown station '{station}'")
            chainage = r.number(f.get("connection_chainage_m"), f"{what} connection_chainage_m")
            radios = self.read_radios(f.get("radios"), code, name, name_zh)
            cameras = self.read_cameras(f.get("cameras"), what, name, name_zh, station=code)
            depots.append(Depot(code, name, name_zh, station or "", chainage or 0.0, radios, cameras))
        return tuple(depots)

    def read_trains(self, node: yaml.Node | None) -> None:
        r = self.r
        for item in r.items(node, "trains"):
            what = r.label(item, "train", "number")
            f = r.fields(item, what, "number radio", "cameras depot")
            number = r.ident(f.get("number"), f"{what} number")
            radio = r.ident(f.get("radio"), f"{what} radio")
            depot = r.ident(f.get("depot"), f"{what} depot")
            if depot is not None and self.places.get(depot) != "depot":
                r.error(f["depot"], f"{what} depot: unknown depot '{depot}'")
            if radio is not None:
                self.add_terminal(f["radio"], Terminal(radio, "train", f"Train {number} radio",
                                                       f"{number}车车载台", train=number))
            cameras = self.read_cameras(f.get("cameras"), what, f"Train {number}", f"{number}车",
                                        train=number)
            if number is not None and self.add("train number", number, f["number"]):
                self.trains[number] = Train(number, radio or "", cameras, depot)

    def read_staff(self, node: yaml.Node | None, kind: TerminalKind) -> None:
        r = self.r
        for item in r.items(node, f"{kind}s"):
            what = r.label(item, kind, "id")
            f = r.fields(item, what, "id staff station", "name name_zh")
            terminal = r.ident(f.get("id"), f"{what} id")
            staff = r.ident(f.get("staff"), f"{what} staff")
            home = r.ident(f.get("station"), f"{what} station")
            if home is not None and home not in self.places:
                r.error(f["station"], f"{what} station: unknown station, depot or control centre '{home}'")
            en, zh = _STAFF.get(staff or "", (staff or kind, staff or kind))
            name = r.text(f.get("name"), f"{what} name", f"{en} {terminal}")
            if terminal is not None:
                self.add_terminal(f["id"], Terminal(terminal, kind, name, r.text(
                    f.get("name_zh"), f"{what} name_zh", f"{zh} {terminal}"), station=home, staff=staff))

    def read_secrets(self, node: yaml.Node | None) -> None:
        r = self.r
        f = r.fields(node, "terminal_secrets", "default", "overrides")
        default = r.password_hash(f.get("default"), "terminal_secrets default")
        overrides: dict[str, str] = {}
        for terminal, key_node, value in r.pairs(f.get("overrides"), "terminal_secrets overrides"):
            if terminal not in self.terminals:
                r.error(key_node, f"terminal_secrets overrides: unknown terminal '{terminal}'")
            overrides[terminal] = r.password_hash(value, f"terminal_secrets override for '{terminal}'")
        for key, known in self.terminals.items():
            self.terminals[key] = replace(known, secret_hash=overrides.get(key, default))

    def read_groups(self, node: yaml.Node | None) -> None:
        r = self.r
        for item in r.items(node, "groups"):
            what = r.label(item, "group", "id")
            f = r.fields(item, what, "id name subsystem members", "name_zh kind")
            group = r.ident(f.get("id"), f"{what} id")
            name = r.text(f.get("name"), f"{what} name")
            name_zh = r.text(f.get("name_zh"), f"{what} name_zh", name)
            subsystem: Subsystem = r.choice(  # type: ignore[assignment]
                f.get("subsystem"), f"{what} subsystem", get_args(Subsystem), "line")
            kind: GroupKind = r.choice(f.get("kind"), f"{what} kind", get_args(GroupKind), "talk")  # type: ignore[assignment]
            selectors: list[str] = []
            members: dict[str, None] = {}
            for member in r.items(f.get("members"), f"{what} members"):
                spec = r.word(member, f"{what} members")
                if spec is not None:
                    selectors.append(spec)
                    members.update(dict.fromkeys(self.select(spec, member, f"{what} members")))
            if group is not None and self.add("group id", group, f["id"]):
                self.groups[group] = Group(group, name, name_zh, subsystem, kind, tuple(members),
                                           tuple(selectors))

    def select(self, spec: str, node: yaml.Node, what: str) -> list[str]:
        """Terminal ids meant by a member entry: a terminal id or a selector (docs/line-format.md)."""
        every = {"all_trains": "train", "all_handsets": "handset", "all_recorders": "recorder"}
        voice = [t for t in self.terminals.values() if t.kind != "camera"]
        if spec in every:
            return [t.id for t in voice if t.kind == every[spec]]
        if spec == "all_stations":
            return [t.id for t in voice
                    if t.kind == "station" and self.places.get(t.station or "") == "station"]
        prefix, colon, arg = spec.partition(":")
        if not colon and spec in self.terminals:
            if self.terminals[spec].kind == "camera":
                self.r.error(node, f"{what}: camera '{spec}' cannot be a talk group member")
                return []
            return [spec]
        if prefix in ("radios", "at") and arg in self.places:
            return [t.id for t in voice if t.station == arg and (prefix == "at" or t.kind == "station")]
        if prefix in ("radios", "at"):
            self.r.error(node, f"{what}: unknown station, depot or control centre '{arg}' in '{spec}'")
        elif prefix == "staff":
            found = [t.id for t in voice if t.staff == arg]
            if found:
                return found
            self.r.error(node, f"{what}: no handset or recorder has staff '{arg}'")
        elif colon:
            self.r.error(node, f"{what}: unknown selector '{spec}' (expected radios:, at: or staff:)")
        else:
            self.r.error(node, f"{what}: unknown terminal '{spec}'")
        return []

    def read_roles(self, node: yaml.Node | None) -> None:
        r = self.r
        for item in r.items(node, "roles"):
            what = r.label(item, "role", "name")
            f = r.fields(item, what, "name groups permissions")
            name = r.ident(f.get("name"), f"{what} name")
            groups: dict[str, None] = {}
            for entry in r.items(f.get("groups"), f"{what} groups"):
                spec = r.word(entry, f"{what} groups")
                if spec is not None:
                    groups.update(dict.fromkeys(self.select_groups(spec, entry, what)))
            permissions: set[str] = set()
            for permission, permission_node in r.idents(f.get("permissions"), f"{what} permissions"):
                if permission not in PERMISSIONS:
                    r.error(permission_node, f"{what} permissions: unknown permission '{permission}' "
                            f"(expected one of: {', '.join(sorted(PERMISSIONS))})")
                permissions.add(permission)
            if name is not None and self.add("role", name, f["name"]):
                self.roles[name] = DispatcherRole(name, tuple(groups), frozenset(permissions))

    def select_groups(self, spec: str, node: yaml.Node, what: str) -> list[str]:
        """Group ids meant by a role's entry: a group id, ``*``, ``subsystem:NAME`` or ``kind:KIND``."""
        prefix, colon, arg = spec.partition(":")
        options: tuple[str, ...] = get_args(Subsystem) if prefix == "subsystem" else get_args(GroupKind)
        if spec == "*":
            return list(self.groups)
        if not colon and spec in self.groups:
            return [spec]
        if prefix in ("subsystem", "kind") and arg in options:
            return [g.id for g in self.groups.values() if getattr(g, prefix) == arg]
        if prefix in ("subsystem", "kind"):
            self.r.error(node, f"{what} groups: '{arg}' is not a {prefix} "
                         f"(expected one of: {', '.join(options)})")
        else:
            self.r.error(node, f"{what} groups: unknown group '{spec}'")
        return []

    def read_dispatchers(self, node: yaml.Node | None) -> dict[str, Dispatcher]:
        r = self.r
        dispatchers: dict[str, Dispatcher] = {}
        for item in r.items(node, "dispatchers"):
            what = r.label(item, "dispatcher", "user")
            f = r.fields(item, what, "user role display_name password_hash")
            user = r.ident(f.get("user"), f"{what} user")
            role = r.ident(f.get("role"), f"{what} role")
            if role is not None and role not in self.roles:
                r.error(f["role"], f"{what} role: unknown role '{role}'")
            display_name = r.text(f.get("display_name"), f"{what} display_name")
            password_hash = r.password_hash(f.get("password_hash"), f"{what} password_hash")
            if user is not None and self.add("dispatcher user", user, f["user"]):
                dispatchers[user] = Dispatcher(user, role or "", display_name, password_hash)
        return dispatchers

    def read_timetable(self, node: yaml.Node | None, stations: tuple[Station, ...]) -> Timetable:
        r = self.r
        if node is None:
            return Timetable(stations, (), (), 0.0, {})
        f = r.fields(node, "timetable",
                     "service_start service_end cruise_speed_kmh dwell_s turnaround_s departures",
                     "accel_brake_s station_dwell_s run_s")
        start = r.clock(f.get("service_start"), "timetable service_start")
        end = r.clock(f.get("service_end"), "timetable service_end")
        if start is not None and end is not None and end <= start:
            r.error(f["service_end"], "timetable service_end: must be later than service_start")
        speed = r.number(f.get("cruise_speed_kmh"), "timetable cruise_speed_kmh", "positive") or 1.0
        dwell = r.number(f.get("dwell_s"), "timetable dwell_s", "positive") or 1.0
        turnaround = r.number(f.get("turnaround_s"), "timetable turnaround_s", "positive") or 1.0
        allowance = r.number(f.get("accel_brake_s"), "timetable accel_brake_s", "non_negative") or 0.0
        codes = [s.code for s in stations]
        termini = (codes[0], codes[-1]) if codes else ()
        dwells = dict.fromkeys(codes, dwell)
        for code, key_node, value in r.pairs(f.get("station_dwell_s"), "timetable station_dwell_s"):
            seconds = r.number(value, f"timetable station_dwell_s {code}", "positive")
            if code not in dwells:
                r.error(key_node, f"timetable station_dwell_s: unknown station '{code}'")
            elif code in termini:
                r.error(key_node, f"timetable station_dwell_s: {code} is a terminus (turnaround_s applies)")
            dwells[code] = seconds or dwell
        runs = [(b.chainage_m - a.chainage_m) * 3.6 / speed + allowance for a, b in pairwise(stations)]
        for key, key_node, value in r.pairs(f.get("run_s"), "timetable run_s"):
            seconds = r.number(value, f"timetable run_s {key}", "positive")
            section = next((i for i, pair in enumerate(pairwise(codes))
                            if key in (f"{pair[0]}-{pair[1]}", f"{pair[1]}-{pair[0]}")), None)
            if section is None:
                r.error(key_node, f"timetable run_s: '{key}' is not two neighbouring stations (FROM-TO)")
            elif seconds is not None:
                runs[section] = seconds
        departures: dict[str, Departure] = {}
        for item in r.items(f.get("departures"), "timetable departures"):
            d = r.fields(item, "timetable departure", "from trains", "first_s every_s")
            origin = r.ident(d.get("from"), "timetable departure from")
            if origin is not None and origin not in termini:
                r.error(d["from"], f"timetable departure from: '{origin}' is not a terminus "
                        f"(expected {' or '.join(termini)})" if origin in codes
                        else f"timetable departure from: unknown station '{origin}'")
            first = r.number(d.get("first_s"), "timetable departure first_s", "non_negative") or 0.0
            every = r.number(d.get("every_s"), "timetable departure every_s", "positive") or 0.0
            trains = r.idents(d.get("trains"), "timetable departure trains")
            if len(trains) > 1 and "every_s" not in d:
                r.error(item, "timetable departure: every_s is needed for more than one train")
            terminus = origin if origin is not None and origin in termini else None
            direction: Direction = "up" if codes and terminus == codes[0] else "down"
            for k, (number, train_node) in enumerate(trains):
                if number not in self.trains:
                    r.error(train_node, f"timetable departure trains: unknown train '{number}'")
                elif self.add("timetabled train", number, train_node) and terminus is not None:
                    departures[number] = Departure(number, terminus, first + k * every, direction)
        return Timetable(stations, tuple(runs), tuple(dwells.values()), turnaround, departures,
                         6 * 3600 if start is None else start, 23 * 3600 if end is None else end)

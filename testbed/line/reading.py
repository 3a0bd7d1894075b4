"""Reading line files: every problem reported as file:line:col in one `LineError` (format: docs/line-format.md),
and where the resources folder (with the sample line) is."""

from __future__ import annotations

import logging
import os
import sys
import sysconfig
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import get_args

import yaml
import yaml.constructor

from protocols.messages import Direction, Subsystem, TerminalKind
from testbed.line.model import (
    FORMAT_VERSION,
    PERMISSIONS,
    ControlCentre,
    Departure,
    Depot,
    Dispatcher,
    DispatcherRole,
    Group,
    GroupKind,
    Line,
    LineError,
    Station,
    Terminal,
    Timetable,
    Train,
)
from testbed.line.nodes import _Reader

logger = logging.getLogger(__name__)

_POSITION_ZH = {"cab": "司机室", "saloon": "客室", "platform": "站台", "concourse": "站厅", "yard": "场区"}
_STAFF = {"station_staff": ("Station staff", "站务员"), "maintenance": ("Maintenance", "维修人员"),
          "police": ("Police", "公安"), "depot_staff": ("Depot staff", "场段人员")}


def resource_folders() -> list[Path]:
    """Where trunkdesk's resources folder may be, in the order console/ui/resources.py looks too:
    ``$TRUNKDESK_RESOURCES``, a PyInstaller bundle, the checkout, an installed ``share/trunkdesk/resources``."""
    folders = [Path(env)] if (env := os.environ.get("TRUNKDESK_RESOURCES")) else []
    if bundle := getattr(sys, "_MEIPASS", None):
        folders.append(Path(bundle) / "resources")
    folders.append(Path(__file__).resolve().parents[2] / "resources")
    for scheme in (None, f"{os.name}_user"):  # pip install . / pip install --user .
        data = sysconfig.get_path("data", scheme) if scheme else sysconfig.get_path("data")
        folders.append(Path(data) / "share" / "trunkdesk" / "resources")
    return folders


def default_line_path() -> Path:
    """The sample line (resources/lines/sample-line.yaml) in the first resources folder that has it."""
    relative = Path("lines") / "sample-line.yaml"
    folders = resource_folders()
    found = next((folder / relative for folder in folders if (folder / relative).is_file()), None)
    return found or Path(__file__).resolve().parents[2] / "resources" / relative


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


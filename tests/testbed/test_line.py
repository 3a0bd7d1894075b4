"""The line file: the sample line, the timetable's train positions, validation errors with positions,
and password hashing."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import get_args

import pytest

from protocols.messages import TerminalKind
from testbed.line import (
    PERMISSIONS,
    SAMPLE_OVERRIDE_SECRETS,
    SAMPLE_PASSWORD,
    SAMPLE_TERMINAL_SECRET,
    Line,
    LineError,
    default_line_path,
    hash_password,
    load_line,
    verify_password,
)

REPO = Path(__file__).resolve().parents[2]
# Cheap hashes keep the invalid-file tests fast; the loader checks the format, not the iterations.
QUICK_HASH = hash_password("demo", salt=b"0123456789abcdef", iterations=1)

BASE = f"""\
format: 1
line:
  name: Tiny Line
  name_zh: 小线
stations:
  - code: A
    name: Alpha
    chainage_m: 0
    radios: [ST-A-1]
  - code: B
    name: Bravo
    chainage_m: 1000
    tunnel: true
    radios: [ST-B-1]
  - code: C
    name: Charlie
    chainage_m: 3000
    tunnel: true
    radios: [ST-C-1]
depots:
  - {{code: D, name: Depot, station: A, connection_chainage_m: -400, radios: [DP-D-1]}}
trains:
  - {{number: "101", radio: TR101, depot: D, cameras: [{{id: CAM-101-1, position: cab}}]}}
  - {{number: "102", radio: TR102, depot: D}}
  - {{number: 103, radio: TR103}}
handsets:
  - {{id: HS-1, staff: station_staff, station: A}}
  - {{id: HS-2, staff: maintenance, station: D}}
terminal_secrets:
  default: "{QUICK_HASH}"
groups:
  - id: TG-1
    name: Dispatch
    subsystem: train_dispatch
    members: [all_trains, all_stations, HS-1]
  - id: TG-A
    name: Alpha station
    subsystem: line
    kind: station
    members: [at:A]
roles:
  - name: dispatcher
    groups: [TG-1, kind:station]
    permissions: [override, emergency_ack]
dispatchers:
  - user: op
    role: dispatcher
    display_name: Operator
    password_hash: "{QUICK_HASH}"
timetable:
  service_start: "06:00"
  service_end: "07:00"
  cruise_speed_kmh: 36
  dwell_s: 30
  turnaround_s: 60
  departures:
    - from: A
      first_s: 10
      trains: ["101"]
    - from: C
      first_s: 0
      every_s: 100
      trains: ["102", "103"]
"""


def at(text: str, needle: str, nth: int = 1, skip: int = 0) -> tuple[int, int]:
    """1-based line and column of the nth occurrence of ``needle`` in ``text``, ``skip`` characters in."""
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    index += skip
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def problems(tmp_path: Path, text: str) -> list[tuple[int, int, str]]:
    """(line, column, message) of every error loading ``text``; fails if it loads."""
    path = tmp_path / "line.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LineError) as info:
        load_line(path)
    for error in info.value.errors:
        assert error.file == str(path)
    return [(e.line, e.column, e.message) for e in info.value.errors]


def assert_problem(found: list[tuple[int, int, str]], where: tuple[int, int], *words: str) -> None:
    matching = [m for line, column, m in found if (line, column) == where and all(w in m for w in words)]
    assert matching, f"no error at {where} mentioning {words}; got {found}"


@pytest.fixture(scope="module")
def sample() -> Line:
    return load_line(default_line_path())


@pytest.fixture
def tiny(tmp_path: Path) -> Line:
    path = tmp_path / "tiny.yaml"
    path.write_text(BASE, encoding="utf-8")
    return load_line(path)


# ----- the sample line -------------------------------------------------------------------------


def test_default_line_path_is_the_sample_in_resources() -> None:
    assert default_line_path() == REPO / "resources" / "lines" / "sample-line.yaml"
    assert "SAMPLE DATA" in default_line_path().read_text(encoding="utf-8").splitlines()[0]


def test_sample_line_has_the_stated_parts(sample: Line) -> None:
    assert (sample.name, sample.name_zh) == ("Demo Line", "示范线")
    assert "SAMPLE DATA" in sample.description
    assert [s.code for s in sample.stations] == [f"S{i:02d}" for i in range(1, 11)]
    assert all(s.name and s.name_zh for s in sample.stations)
    assert len(sample.depots) == 2 and sample.control_centre is not None
    assert list(sample.trains) == [str(n) for n in range(1901, 1921)]
    kinds = Counter(t.kind for t in sample.terminals.values())
    assert kinds["handset"] == 40 and kinds["recorder"] == 10 and kinds["train"] == 20
    assert set(kinds) <= set(get_args(TerminalKind))
    assert len(sample.roles) == 5 and len(sample.dispatchers) == 6
    assert {"train_dispatcher", "environment_dispatcher", "maintenance_dispatcher", "depot_dispatcher",
            "chief_dispatcher"} == set(sample.roles)


def test_sample_stations_are_realistically_spaced_with_radios_and_two_cameras(sample: Line) -> None:
    gaps = [b.chainage_m - a.chainage_m for a, b in pairwise(sample.stations)]
    assert all(1200 <= gap <= 3500 for gap in gaps)
    assert any(s.tunnel for s in sample.stations) and not all(s.tunnel for s in sample.stations)
    for station in sample.stations:
        assert 1 <= len(station.radios) <= 2 and len(station.cameras) == 2
        assert station.radios[0] == f"ST-{station.code}-1"
        assert all(sample.terminal(c).kind == "camera" for c in station.cameras)
        assert sample.terminal(station.radios[0]).station == station.code


def test_sample_trains_have_radio_cameras_and_home_depot(sample: Line) -> None:
    depots = {d.code for d in sample.depots}
    for number, train in sample.trains.items():
        assert train.radio == f"TR{number}"
        radio = sample.terminal(train.radio)
        assert radio.kind == "train" and radio.train == number
        assert train.cameras == (f"CAM-{number}-1", f"CAM-{number}-2")
        assert [sample.terminal(c).position for c in train.cameras] == ["cab", "saloon"]
        assert train.depot in depots


def test_sample_handsets_and_recorders_have_staff_and_home(sample: Line) -> None:
    places = {s.code for s in sample.stations} | {d.code for d in sample.depots}
    people = [t for t in sample.terminals.values() if t.kind in ("handset", "recorder")]
    assert {t.staff for t in people} >= {"station_staff", "maintenance", "police"}
    assert all(t.station in places for t in people)
    assert sample.terminal("HS-001").kind == "handset" and sample.terminal("BW-01").kind == "recorder"


def test_sample_groups_cover_every_subsystem_and_each_station(sample: Line) -> None:
    subsystems = {g.subsystem for g in sample.groups.values()}
    assert subsystems == {"train_dispatch", "environment", "maintenance", "depot", "line"}
    all_call = [g for g in sample.groups.values() if g.kind == "all_call"]
    assert len(all_call) == 1
    station_groups = [g for g in sample.groups.values() if g.kind == "station"]
    assert len(station_groups) == 10
    train_dispatch = sample.group("TG-TRAIN")
    assert {f"TR{n}" for n in range(1901, 1921)} <= set(train_dispatch.members)
    assert "ST-S05-2" in train_dispatch.members
    s03 = sample.group("TG-S03")
    assert s03.selectors == ("at:S03",)
    assert set(s03.members) == {t.id for t in sample.terminals.values()
                                if t.station == "S03" and t.kind != "camera"}
    for group in sample.groups.values():
        assert all(sample.terminal(m).kind != "camera" for m in group.members)
        assert len(set(group.members)) == len(group.members)
    assert "TG-S01" in sample.groups_of("ST-S01-1") and "TG-ALL" in sample.groups_of("HS-040")


def test_sample_roles_reach_their_groups_with_known_permissions(sample: Line) -> None:
    assert set(sample.roles["chief_dispatcher"].groups) == set(sample.groups)
    assert sample.roles["chief_dispatcher"].permissions == PERMISSIONS
    train = sample.roles["train_dispatcher"]
    assert "TG-TRAIN" in train.groups and "TG-S10" in train.groups and "TG-MAINT" not in train.groups
    for role in sample.roles.values():
        assert role.permissions <= PERMISSIONS
    for dispatcher in sample.dispatchers.values():
        assert dispatcher.role in sample.roles and dispatcher.display_name


def test_sample_credentials_are_the_documented_demo_ones(sample: Line) -> None:
    chief = sample.dispatchers["chief"]
    assert verify_password(SAMPLE_PASSWORD, chief.password_hash)
    assert not verify_password("chief", chief.password_hash)
    assert verify_password(SAMPLE_TERMINAL_SECRET, sample.terminal("TR1901").secret_hash)
    ((override_id, override_secret),) = SAMPLE_OVERRIDE_SECRETS.items()
    override = sample.terminal(override_id).secret_hash
    assert verify_password(override_secret, override)
    assert not verify_password(SAMPLE_TERMINAL_SECRET, override)
    doc = (REPO / "docs" / "line-format.md").read_text(encoding="utf-8")
    for user in sample.dispatchers:
        assert f"| `{user}` |" in doc
    assert f"`{SAMPLE_TERMINAL_SECRET}`" in doc and f"`{override_secret}`" in doc


def test_minimal_example_in_the_docs_loads(tmp_path: Path) -> None:
    doc = (REPO / "docs" / "line-format.md").read_text(encoding="utf-8")
    section = doc.split("## A minimal line", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match is not None
    path = tmp_path / "minimal.yaml"
    path.write_text(match.group(1), encoding="utf-8")
    line = load_line(path)
    assert [s.code for s in line.stations] == ["A", "B"]
    assert verify_password("demo", line.dispatchers["op"].password_hash)
    assert verify_password("demo-terminal", line.terminal("TR101").secret_hash)
    assert line.timetable.position("101", 0).station == "A"


# ----- line helpers --------------------------------------------------------------------------


def test_neighbours_and_stations_between(sample: Line) -> None:
    s01, s02, s03 = sample.stations[:3]
    assert sample.neighbours("S01") == (None, s02)
    assert sample.neighbours("S02") == (s01, s03)
    assert sample.neighbours("S10") == (sample.stations[8], None)
    assert sample.stations_between(s02.chainage_m + 60) == (s02, None)
    assert sample.stations_between(s02.chainage_m + 500) == (s02, s03)
    with pytest.raises(ValueError, match="outside"):
        sample.stations_between(sample.stations[-1].chainage_m + 5000)
    with pytest.raises(KeyError):
        sample.station("S99")


def test_tunnel_sections_and_terminal_names(tiny: Line) -> None:
    assert not tiny.in_tunnel(500) and tiny.in_tunnel(2000) and tiny.in_tunnel(3000)
    assert tiny.terminal("ST-B-1").name == "Bravo radio 1"
    assert tiny.terminal("CAM-101-1").name_zh == "101车司机室摄像机"
    assert tiny.terminal("HS-2").name == "Maintenance HS-2"
    assert "103" in tiny.trains  # an unquoted running number reads as text


# ----- timetable -------------------------------------------------------------------------------
# Tiny line: A 0 m, B 1000 m, C 3000 m at 36 km/h (10 m/s): runs 100 s and 200 s, dwell 30 s at B,
# trip 330 s, turnaround 60 s. Train 101 leaves A at t=10.


def test_waits_at_origin_before_its_first_departure(tiny: Line) -> None:
    position = tiny.timetable.position("101", 5)
    assert (position.station, position.at_station, position.direction) == ("A", True, "up")


def test_between_two_stations_with_interpolated_chainage(tiny: Line) -> None:
    position = tiny.timetable.position("101", 60)  # 50 s into the 100 s run A -> B
    assert (position.station, position.next_station, position.at_station) == ("A", "B", False)
    assert position.chainage_m == pytest.approx(500)
    position = tiny.timetable.position("101", 190)  # dwell at B ends at 140; 50 s into 200 s to C
    assert (position.station, position.next_station) == ("B", "C")
    assert position.chainage_m == pytest.approx(1500)


def test_at_a_station_during_its_dwell(tiny: Line) -> None:
    for t in (110, 125, 139.9):  # arrives at B at 110, leaves at 140
        position = tiny.timetable.position("101", t)
        assert (position.station, position.next_station, position.at_station) == ("B", None, True)
        assert position.chainage_m == 1000 and position.direction == "up"


def test_direction_flips_at_the_terminus(tiny: Line) -> None:
    timetable = tiny.timetable
    assert timetable.trip_s == pytest.approx(330)
    assert timetable.position("101", 339).direction == "up"
    turning = timetable.position("101", 345)  # arrived at C at 340, leaves at 400
    assert (turning.station, turning.at_station, turning.direction) == ("C", True, "down")
    back = timetable.position("101", 450)  # 50 s into the 200 s run C -> B
    assert (back.station, back.next_station, back.direction) == ("C", "B", "down")
    assert back.chainage_m == pytest.approx(2500)
    again = timetable.position("101", 10 + 2 * 390 + 50)  # a full cycle later: A -> B again
    assert (again.station, again.next_station, again.direction) == ("A", "B", "up")
    assert again.chainage_m == pytest.approx(500)


def test_departures_every_s_and_from_the_far_terminus(tiny: Line) -> None:
    first, second = tiny.timetable.departures["102"], tiny.timetable.departures["103"]
    assert (first.origin, first.direction, first.first_s) == ("C", "down", 0)
    assert second.first_s == 100
    assert tiny.timetable.position("103", 50).at_station  # still waiting at C
    assert tiny.timetable.position("103", 150).chainage_m == pytest.approx(2500)


def test_planned_points_match_positions(sample: Line) -> None:
    timetable = sample.timetable
    plan = timetable.planned("1905")
    assert plan[0] == (timetable.departures["1905"].first_s, sample.station("S01").chainage_m)
    assert all(a[0] <= b[0] for a, b in pairwise(plan))
    assert plan[-1][0] <= timetable.service_end_s - timetable.service_start_s
    for t, chainage in plan[:80]:
        assert timetable.position("1905", t + 0.001).chainage_m == pytest.approx(chainage, abs=1.0)
    termini = {sample.stations[0].chainage_m, sample.stations[-1].chainage_m}
    assert {c for _, c in plan} >= termini


def test_timetable_overrides_and_unscheduled_trains(tmp_path: Path) -> None:
    text = edit("  turnaround_s: 60\n", "  turnaround_s: 60\n  run_s: {B-A: 150}\n  accel_brake_s: 5\n")
    path = tmp_path / "line.yaml"
    path.write_text(text, encoding="utf-8")
    timetable = load_line(path).timetable
    assert timetable.run_s == (150, 205)
    with pytest.raises(KeyError):
        load_line(default_line_path()).timetable.position("1920", 0)  # a spare


# ----- validation ------------------------------------------------------------------------------


def test_error_text_is_file_line_column_message(tmp_path: Path) -> None:
    path = tmp_path / "line.yaml"
    path.write_text(edit("  name: Tiny Line\n", "  name: Tiny Line\n  colour: red\n"), encoding="utf-8")
    with pytest.raises(LineError) as info:
        load_line(path)
    expected = "line: unknown key 'colour' (expected one of: name, name_zh, description)"
    assert str(info.value) == f"{path}:4:3: {expected}"
    assert (info.value.line, info.value.column) == (4, 3)


def test_unknown_key(tmp_path: Path) -> None:
    text = edit("    chainage_m: 1000\n", "    chainage_m: 1000\n    platforms: 2\n")
    assert_problem(problems(tmp_path, text), at(text, "platforms"), "station 'B'", "unknown key 'platforms'")


def test_missing_required_key(tmp_path: Path) -> None:
    text = edit("  - code: C\n    name: Charlie\n", "  - code: C\n")
    found = problems(tmp_path, text)
    assert_problem(found, at(text, "code: C"), "station 'C'", "missing required key 'name'")


def test_missing_top_level_section(tmp_path: Path) -> None:
    text = BASE.split("dispatchers:", 1)[0] + "timetable:" + BASE.split("timetable:", 1)[1]
    assert_problem(problems(tmp_path, text), (1, 1), "missing required key 'dispatchers'")


def test_wrong_types(tmp_path: Path) -> None:
    text = edit("    chainage_m: 1000\n    tunnel: true\n", "    chainage_m: far\n    tunnel: 3\n")
    text = edit("    members: [at:A]", "    members: at:A", text)
    found = problems(tmp_path, text)
    assert_problem(found, at(text, "far"), "chainage_m", "expected a number", "far")
    assert_problem(found, at(text, "3\n", 1), "tunnel", "expected true or false")
    assert_problem(found, at(text, "at:A"), "members", "expected a list")


def test_duplicate_ids(tmp_path: Path) -> None:
    text = edit("{id: HS-2,", "{id: ST-A-1,")
    text = edit("  - code: C\n", "  - code: B\n", text)
    text = edit("  - id: TG-A\n", "  - id: TG-1\n", text)
    found = problems(tmp_path, text)
    assert_problem(found, at(text, "ST-A-1", 2), "duplicate terminal id 'ST-A-1'", "first at line 9")
    assert_problem(found, at(text, "B\n", 2), "duplicate code 'B'")
    assert_problem(found, at(text, "TG-1\n", 2), "duplicate group id 'TG-1'")


def test_duplicate_key_in_a_mapping(tmp_path: Path) -> None:
    text = edit("    name: Bravo\n", "    name: Bravo\n    name: Bravo Again\n")
    assert_problem(problems(tmp_path, text), at(text, "name: Bravo Again"), "duplicate key 'name'")


def test_chainage_not_strictly_increasing(tmp_path: Path) -> None:
    text = edit("    chainage_m: 3000\n", "    chainage_m: 1000\n")
    assert_problem(problems(tmp_path, text), at(text, "1000", 2), "station 'C' chainage_m", "not greater")


def test_group_members_referring_to_unknown_terminals(tmp_path: Path) -> None:
    text = edit("[all_trains, all_stations, HS-1]", "[all_trains, HS-9, at:Z, everyone, CAM-101-1]")
    found = problems(tmp_path, text)
    assert_problem(found, at(text, "HS-9"), "group 'TG-1' members", "unknown terminal 'HS-9'")
    assert_problem(found, at(text, "at:Z"), "unknown station, depot or control centre 'Z'")
    assert_problem(found, at(text, "everyone"), "unknown terminal 'everyone'")
    assert_problem(found, at(text, "CAM-101-1", 2), "camera 'CAM-101-1' cannot be a talk group member")


def test_roles_referring_to_unknown_groups_or_permissions(tmp_path: Path) -> None:
    text = edit("[TG-1, kind:station]", "[TG-1, TG-9, kind:depot]")
    text = edit("[override, emergency_ack]", "[override, launch_missiles]", text)
    found = problems(tmp_path, text)
    assert_problem(found, at(text, "TG-9"), "role 'dispatcher' groups", "unknown group 'TG-9'")
    assert_problem(found, at(text, "kind:depot"), "'depot' is not a kind")
    assert_problem(found, at(text, "launch_missiles"), "unknown permission 'launch_missiles'")


def test_dispatcher_with_unknown_role(tmp_path: Path) -> None:
    text = edit("    role: dispatcher\n", "    role: pilot\n")
    found = problems(tmp_path, text)
    assert_problem(found, at(text, "pilot"), "dispatcher 'op' role", "unknown role 'pilot'")


def test_train_without_radio(tmp_path: Path) -> None:
    text = edit('{number: "102", radio: TR102, depot: D}', '{number: "102", depot: D}')
    assert_problem(problems(tmp_path, text), at(text, '{number: "102"'), "train '102'",
                   "missing required key 'radio'")


def test_timetable_referencing_unknown_stations(tmp_path: Path) -> None:
    text = edit("    - from: A\n", "    - from: Q\n")
    text = edit("  turnaround_s: 60\n", "  turnaround_s: 60\n  station_dwell_s: {X: 40, C: 50}\n"
                "  run_s: {A-C: 100}\n", text)
    text = edit('trains: ["102", "103"]', 'trains: ["102", "999"]', text)
    found = problems(tmp_path, text)
    assert_problem(found, at(text, "Q\n"), "departure from", "unknown station 'Q'")
    assert_problem(found, at(text, "X: 40"), "station_dwell_s", "unknown station 'X'")
    assert_problem(found, at(text, "C: 50"), "C is a terminus")
    assert_problem(found, at(text, "A-C"), "not two neighbouring stations")
    assert_problem(found, at(text, '"999"'), "unknown train '999'")


def test_timetable_with_non_positive_times(tmp_path: Path) -> None:
    text = edit("  dwell_s: 30\n  turnaround_s: 60\n", "  dwell_s: 0\n  turnaround_s: -5\n")
    text = edit("      every_s: 100\n", "      every_s: 0\n", text)
    text = edit("  service_end: \"07:00\"\n", "  service_end: \"05:00\"\n", text)
    found = problems(tmp_path, text)
    assert_problem(found, at(text, "dwell_s: 0", skip=9), "timetable dwell_s", "must be positive, got 0")
    assert_problem(found, at(text, "-5"), "timetable turnaround_s", "must be positive, got -5")
    assert_problem(found, at(text, "every_s: 0", skip=9), "every_s", "must be positive")
    assert_problem(found, at(text, '"05:00"'), "service_end", "later than service_start")


def test_departures_from_a_terminus_with_each_train_once(tmp_path: Path) -> None:
    text = edit("    - from: A\n", "    - from: B\n")
    text = edit("      every_s: 100\n", "", text)
    text = edit('trains: ["102", "103"]', 'trains: ["102", "101"]', text)
    found = problems(tmp_path, text)
    assert_problem(found, at(text, "B\n", 2), "'B' is not a terminus (expected A or C)")
    assert_problem(found, at(text, "from: C"), "every_s is needed for more than one train")
    assert_problem(found, at(text, '"101"', 3), "duplicate timetabled train '101'")


def test_bad_password_hash_and_unknown_secret_override(tmp_path: Path) -> None:
    text = edit(f'    password_hash: "{QUICK_HASH}"', '    password_hash: "demo"')
    default = f'  default: "{QUICK_HASH}"\n'
    text = edit(default, default + '  overrides: {TR999: "x"}\n', text)
    found = problems(tmp_path, text)
    assert_problem(found, at(text, '"demo"'), "password_hash", "not a hash from hash_password")
    assert_problem(found, at(text, "TR999"), "overrides", "unknown terminal 'TR999'")


def test_every_error_in_one_file_is_reported_in_order(tmp_path: Path) -> None:
    text = edit("    chainage_m: 3000\n", "    chainage_m: 500\n")
    text = edit('{number: "102", radio: TR102, depot: D}', '{number: "102", depot: D}', text)
    text = edit("HS-1]", "HS-77]", text)
    text = edit("    role: dispatcher\n", "    role: pilot\n", text)
    text = edit("  dwell_s: 30\n", "  dwell_s: -1\n", text)
    found = problems(tmp_path, text)
    assert len(found) == 5, found
    assert [p[:2] for p in found] == sorted(p[:2] for p in found)
    assert [m.split(":")[0] for *_, m in found] == [
        "station 'C' chainage_m", "train '102'", "group 'TG-1' members", "dispatcher 'op' role",
        "timetable dwell_s"]


def test_yaml_syntax_error_points_at_the_problem(tmp_path: Path) -> None:
    text = edit("    name: Bravo\n", "    name: [Bravo\n")
    ((line, _, message),) = problems(tmp_path, text)
    assert "not valid YAML" in message and line >= at(text, "[Bravo")[0]


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "line.yaml"
    path.write_bytes(b"format: 1\nline:\n  name: Caf\xe9\n")
    with pytest.raises(LineError) as info:
        load_line(path)
    assert (info.value.line, info.value.column, info.value.message) == (3, 12, "not UTF-8 text")


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    assert problems(tmp_path, "# nothing\n") == [(1, 1, "the file is empty")]
    assert_problem(problems(tmp_path, "- just\n- a list\n"), (1, 1), "line file", "expected a mapping")


# ----- passwords -------------------------------------------------------------------------------


def test_password_hash_verifies_and_refuses() -> None:
    stored = hash_password("s3cret", iterations=1000)
    assert stored.startswith("pbkdf2_sha256$1000$")
    assert verify_password("s3cret", stored)
    assert not verify_password("s3cret ", stored)
    assert not verify_password("", stored)


def test_password_hashes_are_salted() -> None:
    first, second = hash_password("same", iterations=1000), hash_password("same", iterations=1000)
    assert first != second
    assert hash_password("same", salt=b"salt", iterations=1000) == hash_password("same", salt=b"salt",
                                                                                  iterations=1000)


@pytest.mark.parametrize("stored", ["", "demo", "md5$1$abc$def", "pbkdf2_sha256$x$YQ==$YQ==",
                                    "pbkdf2_sha256$1000$not base64$YQ==", "pbkdf2_sha256$0$YQ==$YQ=="])
def test_malformed_hash_refuses(stored: str) -> None:
    assert not verify_password("demo", stored)

"""PlatformState without sockets: snapshot parts, determinism of the journal, presence across a lost instance."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

from protocols.codec import encode
from protocols.constants import MAX_MESSAGE_BYTES
from protocols.messages import (
    AffiliationSet,
    AlarmRaise,
    EmergencyAlert,
    FloorRelease,
    FloorRequest,
    Location,
    LocationReport,
    Snapshot,
    TextSend,
)
from testbed.line import Line, default_line_path, load_line
from testbed.platform.journal import Entry, apply_entry, message_entry
from testbed.platform.state import PlatformState


@pytest.fixture(scope="module")
def line() -> Line:
    return load_line(default_line_path())


@pytest.fixture(scope="module")
def big_line(tmp_path_factory: pytest.TempPathFactory) -> Line:
    """The sample line plus 2,000 handsets (all in the all-call group, whose member list grows with them)."""
    data = yaml.safe_load(default_line_path().read_text(encoding="utf-8"))
    stations = [s["code"] for s in data["stations"]]
    data["handsets"] += [{"id": f"HB-{n:04d}", "staff": "bench", "station": stations[n % len(stations)]}
                         for n in range(2000)]
    path = Path(tmp_path_factory.mktemp("line")) / "big.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_line(path)


def test_a_snapshot_of_a_large_line_comes_in_parts_that_each_fit_a_message(big_line: Line) -> None:
    state = PlatformState(big_line)
    out = state.attach("chief", 100.0)
    parts = [o.message for o in out if isinstance(o.message, Snapshot)]
    assert len(parts) > 1
    assert [p.part for p in parts] == list(range(1, len(parts) + 1))
    assert {p.parts for p in parts} == {len(parts)}
    assert all(len(encode(p)) <= MAX_MESSAGE_BYTES for p in parts)
    ids = [t.id for p in parts for t in p.terminals]
    assert len(ids) == len(set(ids)) == len(big_line.terminals)
    assert {g.id for p in parts for g in p.groups} == set(big_line.groups)


def _journal(line: Line) -> list[Entry]:
    """A realistic run of inputs as the active would journal them."""
    inputs: list[Entry] = []

    def add(entry: Entry) -> None:
        inputs.append(Entry(index=len(inputs) + 1, epoch=1, now=entry.now, kind=entry.kind,
                            principal=entry.principal, via=entry.via, body=entry.body, orderly=entry.orderly,
                            token=entry.token, grace=entry.grace))

    t = 1000.0
    for who in ("chief", "HS-001", "HS-002", "TR1901"):
        add(Entry(index=0, epoch=1, now=t, kind="attach", principal=who, via="A", token=f"tok-{who}"))
        t += 0.01
    steps = [
        ("chief", AffiliationSet(id=1, groups=["TG-S01", "TG-TRAIN"], selected="TG-S01", key="k1")),
        ("HS-001", FloorRequest(id=1, group="TG-S01", key="k2")),
        ("HS-002", FloorRequest(id=1, group="TG-S01", key="k3")),
        ("HS-002", EmergencyAlert(id=2, group="TG-S01", key="k4")),
        ("HS-001", FloorRelease(id=2, call="C-1", key="k5")),
        ("chief", TextSend(id=2, group="TG-S01", text="收到", key="k6")),
        ("chief", AlarmRaise(id=3, source="sensor", code="SMK", key="k7")),
    ]
    for who, request in steps:
        add(message_entry(0, 1, t, who, request))
        t += 0.05
    add(message_entry(0, 1, t, "TR1901", LocationReport(location=Location(station="S02", chainage_m=3650.0))))
    add(Entry(index=0, epoch=1, now=t + 1.0, kind="timer"))
    add(Entry(index=0, epoch=1, now=t + 2.0, kind="instance_lost", via="A", grace=5.0))
    add(Entry(index=0, epoch=1, now=t + 2.5, kind="attach", principal="HS-001", via="B"))
    add(Entry(index=0, epoch=1, now=t + 8.0, kind="timer"))
    return inputs


def test_two_copies_fed_the_same_journal_end_equal_and_say_the_same(line: Line) -> None:
    active, standby = PlatformState(line), PlatformState(line)
    for entry in _journal(line):
        said_active = apply_entry(active, entry)
        said_standby = apply_entry(standby, entry)
        assert said_active == said_standby, entry
    assert active.snapshot(active.principals["chief"]) == standby.snapshot(standby.principals["chief"])
    assert active.idempotency.snapshot() == standby.idempotency.snapshot()
    assert active.get_timer() == standby.get_timer()


def test_a_pickled_state_carries_on_like_the_original(line: Line) -> None:
    journal = _journal(line)
    original = PlatformState(line)
    for entry in journal[:8]:
        apply_entry(original, entry)
    copy = pickle.loads(pickle.dumps(original))
    for entry in journal[8:]:
        assert apply_entry(original, entry) == apply_entry(copy, entry)


def test_after_a_lost_instance_only_those_who_did_not_come_back_become_unreachable(line: Line) -> None:
    state = PlatformState(line)
    for entry in _journal(line):
        apply_entry(state, entry)
    # HS-001 re-attached through B within the grace period; HS-002, TR1901 and the console did not.
    assert state.terminals["HS-001"].info.presence == "registered"
    assert state.terminals["HS-002"].info.presence == "unreachable"
    assert state.terminals["TR1901"].info.presence == "unreachable"
    assert not state.principals["chief"].connected

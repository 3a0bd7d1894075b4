"""The desk's world model, fed with handmade TDP/1 notifications (no network)."""

from __future__ import annotations

from collections.abc import Callable

from console.core.changes import (
    AffiliationChanged,
    AlarmChanged,
    AlertChanged,
    CallChanged,
    CallEnded,
    Change,
    FloorChanged,
    GroupsChanged,
    LinkChanged,
    MessageReceived,
    ProtocolProblem,
    SnapshotApplied,
    TerminalChanged,
    VideoChanged,
)
from console.core.layout import LineLayout, Place, TrainPlan, layout_from_line
from console.core.world import World
from protocols import messages as wire
from testbed.line import default_line_path, load_line

NOW = 1_800_000_000.0


def terminal(tid: str, kind: wire.TerminalKind = "handset", **fields: object) -> wire.TerminalInfo:
    return wire.TerminalInfo(id=tid, kind=kind, **fields)  # type: ignore[arg-type]


def world_with(*infos: wire.TerminalInfo, layout: LineLayout | None = None) -> World:
    world = World(layout, clock=lambda: NOW)
    world.apply(wire.Snapshot(terminals=list(infos)))
    return world


def recorder(world: World) -> list[list[Change]]:
    batches: list[list[Change]] = []
    world.subscribe(batches.append)
    return batches


# ----- snapshots ----------------------------------------------------------------------------------


def test_snapshot_parts_merge_by_id_and_drop_the_unlisted_only_after_the_last_part() -> None:
    world = world_with(terminal("A"), terminal("B"), terminal("C"))
    world.apply(wire.AlarmUpdate(alarm=wire.AlarmInfo(id="AL-1", source="equipment", origin="X")))
    batches = recorder(world)

    world.apply(wire.Snapshot(terminals=[terminal("A", presence="registered")],
                              groups=[wire.GroupInfo(id="G1")], part=1, parts=2))
    assert world.terminals["A"].presence == "registered"
    assert set(world.terminals) == {"A", "B", "C"}  # nothing dropped before the last part
    assert "AL-1" in world.alarms

    world.apply(wire.Snapshot(terminals=[terminal("B", presence="busy")], part=2, parts=2))
    assert set(world.terminals) == {"A", "B"}
    assert world.terminals["B"].presence == "busy"
    assert set(world.groups) == {"G1"}
    assert world.alarms == {}
    last = batches[-1]
    assert TerminalChanged(frozenset({"B", "C"})) in last
    assert AlarmChanged("AL-1") in last
    assert last[-1] == SnapshotApplied(complete=True)
    assert world.of_kind("handset") == [world.terminals["A"], world.terminals["B"]]


def test_a_snapshot_with_a_missing_part_drops_nothing_and_reports_a_problem() -> None:
    world = world_with(terminal("A"), terminal("B"), terminal("C"))
    world.apply(wire.Snapshot(terminals=[terminal("A")], part=1, parts=3))
    changes = world.apply(wire.Snapshot(terminals=[terminal("B")], part=3, parts=3))
    assert set(world.terminals) == {"A", "B", "C"}
    assert SnapshotApplied(complete=False) in changes
    assert any(isinstance(c, ProtocolProblem) and "without parts [2]" in c.text for c in changes)


def test_a_new_snapshot_restarts_the_merge_and_a_nonsense_part_number_changes_nothing() -> None:
    world = world_with(terminal("A"), terminal("B"))
    world.apply(wire.Snapshot(terminals=[terminal("A")], part=1, parts=2))
    world.apply(wire.Snapshot(terminals=[terminal("B")], part=1, parts=2))  # the platform started over
    world.apply(wire.Snapshot(terminals=[terminal("N")], part=2, parts=2))
    assert set(world.terminals) == {"B", "N"}

    changes = world.apply(wire.Snapshot(terminals=[terminal("X")], part=3, parts=2))
    assert [type(c) for c in changes] == [ProtocolProblem]
    assert "X" not in world.terminals


# ----- calls and floors ---------------------------------------------------------------------------


def call_info(call_id: str = "C-1", group: str = "G1", **fields: object) -> wire.CallInfo:
    return wire.CallInfo(id=call_id, kind=fields.pop("kind", "group"), group=group, **fields)  # type: ignore[arg-type]


def test_floor_holder_queue_and_talk_time_follow_the_floor_notifications() -> None:
    world = world_with(terminal("HS-1"))
    world.set_session(wire.Welcome(version=1, session="S", resume_token="r", instance="A", role="active",
                                   heartbeat_ms=250, loss_threshold=3, groups=["G1"]), "chief")
    world.set_affiliations(["G1"], "G1")
    changes = world.apply(wire.CallStarted(call=call_info(parties=["HS-1", "chief"])))
    assert changes == [CallChanged("C-1")]
    assert world.call_of_group("G1") is world.calls["C-1"]

    assert world.apply(wire.FloorTaken(call="C-1", holder="HS-1", priority="normal")) == [FloorChanged("C-1")]
    queue = [wire.QueueEntry(party="chief", priority="dispatcher", position=1)]
    world.apply(wire.FloorQueueInfo(call="C-1", queue=queue))
    activity = world.monitored_groups()[0]
    assert (activity.holder, activity.holder_priority, activity.queue) == ("HS-1", "normal", queue)
    assert activity.selected and not activity.emergency

    world.apply(wire.FloorQueueInfo(call="C-1", position=1))  # our own position: not the whole queue
    assert world.calls["C-1"].queue == queue

    world.apply(wire.FloorGranted(call="C-1", holder="chief", priority="dispatcher", limit_ms=120_000,
                                  from_queue=True))
    assert world.calls["C-1"].holder == "chief"
    assert world.calls["C-1"].queue == []  # the grantee left the queue
    assert world.talk_deadlines["C-1"] == NOW + 120
    assert world.monitored_groups()[0].talk_deadline == NOW + 120

    world.apply(wire.FloorIdle(call="C-1"))
    assert world.calls["C-1"].holder is None and "C-1" not in world.talk_deadlines

    assert world.apply(wire.CallEnded(call="C-1", reason="hang_timeout")) == [CallEnded("C-1", "hang_timeout")]
    assert world.calls == {} and world.call_of_group("G1") is None
    assert world.monitored_groups()[0].call is None


def test_a_call_started_again_is_an_upgrade_and_marks_the_group_in_emergency() -> None:
    world = world_with()
    world.set_affiliations(["G1", "G2"], "G2")
    world.apply(wire.CallStarted(call=call_info()))
    world.apply(wire.CallStarted(call=call_info(kind="emergency", priority="emergency")))
    assert len(world.calls) == 1 and world.calls["C-1"].kind == "emergency"
    by_group = {a.group.id: a for a in world.monitored_groups()}
    assert by_group["G1"].emergency and not by_group["G2"].emergency
    # a broadcast to the group runs beside its call and does not replace it as the group's call
    world.apply(wire.CallStarted(call=call_info("C-2", kind="broadcast")))
    assert world.call_of_group("G1") is world.calls["C-1"]


def test_floor_news_of_an_unknown_call_is_ignored() -> None:
    world = world_with()
    assert world.apply(wire.FloorTaken(call="C-9", holder="X", priority="normal")) == []


# ----- alerts, alarms, messages, groups, video, links ---------------------------------------------


def test_alerts_and_alarms_leave_the_world_once_cancelled_or_cleared() -> None:
    world = world_with(terminal("HS-1"))
    world.set_affiliations(["G1"], None)
    alert = wire.AlertInfo(id="E-1", terminal="HS-1", group="G1")
    assert world.apply(wire.EmergencyAlerted(alert=alert)) == [AlertChanged("E-1")]
    assert world.monitored_groups()[0].emergency
    acked = wire.AlertInfo(id="E-1", terminal="HS-1", group="G1", state="acknowledged", acknowledged_by="chief")
    world.apply(wire.EmergencyState(alert=acked))
    assert world.alerts["E-1"].acknowledged_by == "chief"
    world.apply(wire.EmergencyState(alert=wire.AlertInfo(id="E-1", terminal="HS-1", state="cancelled")))
    assert world.alerts == {} and not world.monitored_groups()[0].emergency

    alarm = wire.AlarmInfo(id="AL-1", source="sensor", origin="ST-1", severity="critical")
    world.apply(wire.AlarmUpdate(alarm=alarm))
    assert world.alarms["AL-1"].severity == "critical"
    world.apply(wire.AlarmUpdate(alarm=wire.AlarmInfo(id="AL-1", source="sensor", origin="ST-1", state="cleared")))
    assert world.alarms == {}


def test_texts_statuses_video_and_platform_roles_are_kept() -> None:
    world = World(keep_messages=2)
    for n in range(3):
        world.apply(wire.TextMessage(message=f"M-{n}", sender="HS-1", text=f"text {n}", group="G1"))
    assert [m.message for m in world.texts] == ["M-1", "M-2"]  # only the last ``keep_messages``
    assert world.apply(wire.StatusMessage(sender="HS-2", status=7)) == [MessageReceived("status", "HS-2")]

    world.apply(wire.VideoSession(session="V-1", source="CAM-1", sink="chief", state="live", quality="hd"))
    assert world.video["V-1"].quality == "hd"
    assert world.apply(wire.VideoSession(session="V-1", source="CAM-1", sink="chief", state="stopped")) == [
        VideoChanged("V-1")]
    assert world.video == {}

    world.apply(wire.PlatformRole(epoch=3, instance="B", role="active", peer_up=True))
    world.update_link("B", state="up", rtt=0.002, serving=True)
    link = world.links["B"]
    assert (link.role, link.epoch, link.peer_up, link.state, link.serving) == ("active", 3, True, "up", True)
    assert world.forget_link("B") == [LinkChanged("B")] and world.links == {}


def test_a_dissolved_regroup_leaves_our_affiliations() -> None:
    world = World()
    regroup = wire.GroupInfo(id="RG-1", kind="regroup", members=["HS-1"])
    world.apply(wire.GroupUpdate(group=regroup))
    world.set_affiliations(["G1", "RG-1"], "RG-1")
    changes = world.apply(wire.GroupUpdate(group=regroup, removed=True))
    assert "RG-1" not in world.groups
    assert world.affiliations == ("G1",) and world.selected is None
    assert AffiliationChanged() in changes and GroupsChanged(frozenset({"RG-1"})) in changes


# ----- terminals, places and trains ---------------------------------------------------------------


LAYOUT = LineLayout(
    places=(Place("S02", "station", chainage_m=2000.0, radios=("ST-S02-1",), cameras=("CAM-S02-1",)),
            Place("S01", "station", chainage_m=0.0, radios=("ST-S01-1",)),
            Place("D1", "depot")),
    trains=(TrainPlan("1901", "TR1901", ("CAM-1901-1",)),),
)


def test_trains_are_placed_on_the_line_at_a_station_or_between_two() -> None:
    world = world_with(terminal("TR1901", "train"), terminal("TR1902", "train"), terminal("CAM-1901-1", "camera"),
                       layout=LAYOUT)
    world.apply(wire.LocationUpdate(terminal="TR1901", location=wire.Location(
        station="S01", next_station="S02", chainage_m=900.0, direction="up", train_number="1901")))
    first = world.trains()[0]
    assert (first.radio.id, first.number, first.between, first.at_station) == ("TR1901", "1901", ("S01", "S02"),
                                                                              False)
    assert [c.id for c in first.cameras] == ["CAM-1901-1"]
    assert world.trains()[1].chainage_m is None  # no fix yet: listed last

    world.apply(wire.LocationUpdate(terminal="TR1901", location=wire.Location(station="S02", chainage_m=2000.0,
                                                                             direction="up")))
    moved = world.trains()[0]
    assert moved.at_station and moved.station == "S02" and moved.between is None and moved.chainage_m == 2000.0
    # a presence update without a location keeps the last fix
    world.apply(wire.PresenceUpdate(terminal=terminal("TR1901", "train", presence="busy")))
    assert world.terminals["TR1901"].presence == "busy"
    assert world.terminals["TR1901"].location is not None


def test_stations_list_radios_cameras_and_the_staff_there_in_line_order() -> None:
    world = world_with(
        terminal("ST-S01-1", "station", station="S01"), terminal("ST-S02-1", "station", station="S02"),
        terminal("CAM-S02-1", "camera", station="S02"),
        terminal("HS-1", station="S01", presence="registered"),
        terminal("HS-2", station="S01", presence="registered", location=wire.Location(station="S02")),
        terminal("BW-1", "recorder", station="S02", location=wire.Location(area="tunnel S02-S03")),
        layout=LAYOUT,
    )
    stations = world.stations()
    assert [s.place.code for s in stations] == ["S01", "S02"]
    s01, s02 = stations
    assert [t.id for t in s01.radios] == ["ST-S01-1"] and s01.cameras == ()
    assert [t.id for t in s01.staff] == ["HS-1"]  # HS-2 has moved on to S02
    assert [t.id for t in s02.cameras] == ["CAM-S02-1"]
    assert [t.id for t in s02.staff] == ["HS-2"]  # BW-1 is in a tunnel, at no station

    # without line data the stations come from the fixed radios' home stations
    bare = world_with(terminal("ST-S09-1", "station", station="S09"), terminal("ST-S03-1", "station", station="S03"))
    assert [s.place.code for s in bare.stations()] == ["S03", "S09"]


def test_staff_are_found_by_group_station_and_presence() -> None:
    world = world_with(
        terminal("HS-1", station="S01", presence="registered", groups=["G1"]),
        terminal("HS-2", station="S02", presence="emergency", groups=["G1", "G2"]),
        terminal("BW-1", "recorder", station="S02", presence="offline", groups=["G2"]),
        terminal("ST-1", "station", station="S02", groups=["G2"]),
    )
    assert [t.id for t in world.staff(group="G2")] == ["BW-1", "HS-2"]
    assert [t.id for t in world.staff(station="S02", presence=("registered", "emergency"))] == ["HS-2"]
    world.apply(wire.AffiliationUpdate(terminal="HS-1", groups=["G2"]))
    assert [t.id for t in world.staff(group="G2")] == ["BW-1", "HS-1", "HS-2"]
    assert [t.id for t in world.staff(group="G1")] == ["HS-2"]
    world.apply(wire.PresenceUpdate(terminal=terminal("HS-2", station="S02", presence="registered", groups=["G1"])))
    assert [t.id for t in world.staff(group="G2")] == ["BW-1", "HS-1"]


def test_the_sample_line_gives_the_layout_of_stations_and_train_cameras() -> None:
    layout = layout_from_line(load_line(default_line_path()))
    assert [p.code for p in layout.stations][:2] == ["S01", "S02"]
    assert len(layout.stations) == 10
    plan = layout.train_of_radio("TR1901")
    assert plan is not None and plan.number == "1901" and "CAM-1901-1" in plan.cameras
    assert layout.place("D1") is not None and layout.place("D1").kind == "depot"  # type: ignore[union-attr]


# ----- observers and load ------------------------------------------------------------------------


def test_a_large_line_applies_as_batches_with_one_terminal_change_per_batch() -> None:
    world = World()
    batches = recorder(world)
    infos = [terminal(f"T{n:04d}", "train" if n % 10 == 0 else "handset", presence="registered",
                      groups=[f"G{n % 20}"]) for n in range(2000)]
    world.apply_many(wire.Snapshot(terminals=infos[i:i + 400], part=i // 400 + 1, parts=5)
                     for i in range(0, 2000, 400))
    assert len(world.terminals) == 2000 and len(world.of_kind("train")) == 200
    assert len(batches) == 1 and isinstance(batches[0][0], TerminalChanged) and len(batches[0][0].ids) == 2000

    updates = [wire.LocationUpdate(terminal=f"T{n * 4:04d}", location=wire.Location(chainage_m=float(n)))
               for n in range(500)]
    changes = world.apply_many(updates)
    assert changes == [TerminalChanged(frozenset(f"T{n * 4:04d}" for n in range(500)))]
    assert world.terminals["T1996"].location == wire.Location(chainage_m=499.0)
    assert len(batches) == 2
    assert len(world.staff(group="G3")) == 100


def test_a_failing_observer_does_not_stop_the_others_and_unsubscribing_works() -> None:
    world = World()

    def broken(_changes: list[Change]) -> None:
        raise RuntimeError("observer bug")

    world.subscribe(broken)
    seen: list[list[Change]] = []
    unsubscribe = world.subscribe(seen.append)
    world.apply(wire.StatusMessage(sender="HS-1", status=1))
    assert len(seen) == 1
    unsubscribe()
    world.apply(wire.StatusMessage(sender="HS-1", status=2))
    assert len(seen) == 1
    assert world.apply(wire.Ping(seq=1)) == []  # not about the world


def test_with_a_scheduler_observers_hear_once_per_scheduled_delivery() -> None:
    scheduled: list[Callable[[], None]] = []
    world = World(schedule=scheduled.append)
    world.apply(wire.Snapshot(terminals=[terminal("A"), terminal("B")]))
    scheduled.pop()()
    batches = recorder(world)
    for n in range(3):
        world.apply(wire.LocationUpdate(terminal="A", location=wire.Location(chainage_m=float(n))))
    world.apply(wire.LocationUpdate(terminal="B", location=wire.Location(chainage_m=9.0)))
    world.apply(wire.StatusMessage(sender="A", status=1))
    assert batches == [] and len(scheduled) == 1  # one delivery for them all
    scheduled.pop()()
    assert batches == [[TerminalChanged(frozenset({"A", "B"})), MessageReceived("status", "A")]]

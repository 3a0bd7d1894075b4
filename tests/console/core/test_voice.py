"""The desk's voice decisions: whom it hears (floor holders of monitored calls), whom it talks to (parties of
the calls whose floor it holds), the gains of the mix, idle links, and the talk-permit and floor-denied tones."""

from __future__ import annotations

import numpy as np

from console.core.voice import (
    MONITOR_GAIN,
    SELECTED_GAIN,
    VOICE_IDLE,
    VOICE_RETRY,
    DeskVoice,
    floor_denied_tone,
    talk_permit_tone,
)
from console.core.world import World
from media.audio import tone_level
from protocols import messages as wire
from protocols.machines.floor_terminal import Denied, PermissionGranted, PermissionRevoked


def world_with_calls() -> World:
    world = World()
    for terminal in ("HS-1", "HS-2", "HS-3", "ST-1"):
        world.terminals[terminal] = wire.TerminalInfo(id=terminal, kind="handset")
    world.calls["C-1"] = wire.CallInfo(id="C-1", kind="group", group="G-A", parties=["me", "HS-1", "HS-2", "ST-1"])
    world.calls["C-2"] = wire.CallInfo(id="C-2", kind="group", group="G-B", parties=["me", "HS-3"])
    world.calls["C-3"] = wire.CallInfo(id="C-3", kind="group", group="G-C", parties=["HS-2"], holder="HS-2")
    world.affiliations = ("G-A", "G-B")
    world.selected = "G-A"
    return world


def voice(world: World, holding: list[str] | None = None) -> DeskVoice:
    held = holding if holding is not None else []
    return DeskVoice(world, lambda: "me", lambda: list(held))


def test_the_desk_hears_the_holders_of_monitored_calls_and_opens_a_link_to_each() -> None:
    world = world_with_calls()
    world.calls["C-1"].holder = "HS-1"
    world.calls["C-2"].holder = "HS-3"
    desk = voice(world)
    assert set(desk.heard()) == {"HS-1", "HS-3"}  # HS-2 talks in G-C, which the desk does not monitor
    plan = desk.plan(0.0, opened=())
    assert plan.open == ["HS-1", "HS-3"] and not plan.key and not plan.close
    # asked for once: the next plan opens nothing more while the platform names the sessions
    assert desk.plan(0.1, opened=()).open == []


def test_the_selected_groups_talker_is_mixed_louder_than_other_monitored_groups() -> None:
    world = world_with_calls()
    world.calls["C-1"].holder = "HS-1"
    world.calls["C-2"].holder = "HS-3"
    desk = voice(world)
    desk.plan(0.0, opened=())
    desk.attach("HS-1", "V-1")
    desk.attach("HS-3", "V-3")
    desk.plan(0.1, opened=("V-1", "V-3"))
    assert desk.mixer.gain("V-1") == SELECTED_GAIN and desk.mixer.gain("V-3") == MONITOR_GAIN
    world.selected = "G-B"
    desk.plan(0.2, opened=("V-1", "V-3"))
    assert desk.mixer.gain("V-1") == MONITOR_GAIN and desk.mixer.gain("V-3") == SELECTED_GAIN


def test_holding_a_floor_keys_the_microphone_towards_that_calls_terminals_only_once_their_links_are_open() -> None:
    world = world_with_calls()
    holding: list[str] = []
    desk = voice(world, holding)
    holding.append("C-1")
    plan = desk.plan(0.0, opened=())
    assert plan.open == ["HS-1", "HS-2", "ST-1"]
    for n, terminal in enumerate(plan.open):
        desk.attach(terminal, f"V-{n}")
    # a link not yet open in the engine cannot be keyed: it is keyed by the plan after it opened
    assert desk.plan(0.1, opened=("V-0",)).key == ["V-0"]
    assert sorted(desk.plan(0.2, opened=("V-0", "V-1", "V-2")).key) == ["V-1", "V-2"]
    assert sorted(desk.keyed_sessions()) == ["V-0", "V-1", "V-2"]
    # the floor is ours no more: every link is unkeyed at once, and kept for the next burst
    holding.clear()
    plan = desk.plan(0.3, opened=("V-0", "V-1", "V-2"))
    assert sorted(plan.unkey) == ["V-0", "V-1", "V-2"] and not plan.close
    assert not desk.keyed_sessions()


def test_a_full_duplex_private_call_is_heard_and_talked_to_without_a_floor() -> None:
    world = world_with_calls()
    world.calls["C-9"] = wire.CallInfo(id="C-9", kind="private", duplex="full", parties=["me", "HS-3"])
    desk = voice(world)
    assert "HS-3" in desk.heard() and desk.addressed() == {"HS-3"}
    assert desk.gain_of("HS-3") == SELECTED_GAIN


def test_an_unused_link_closes_after_the_idle_time_and_a_refused_one_is_asked_again_later() -> None:
    world = world_with_calls()
    world.calls["C-1"].holder = "HS-1"
    desk = voice(world)
    desk.plan(0.0, opened=())
    desk.attach("HS-1", "V-1")
    world.calls["C-1"].holder = None
    assert desk.plan(VOICE_IDLE - 1, opened=("V-1",)).close == []
    assert desk.plan(VOICE_IDLE + 1, opened=("V-1",)).close == ["V-1"]
    assert desk.plan(VOICE_IDLE + 2, opened=("V-1",)).close == [], "asked to stop once"
    assert desk.session_ended("V-1") is not None and "HS-1" not in desk.links

    world.calls["C-2"].holder = "HS-3"
    assert desk.plan(100.0, opened=()).open == ["HS-3"]
    desk.failed("HS-3", 100.0)
    assert desk.plan(100.0 + VOICE_RETRY / 2, opened=()).open == []
    assert desk.plan(100.0 + VOICE_RETRY + 0.1, opened=()).open == ["HS-3"]


def test_received_audio_goes_to_the_mixer_and_the_position_follows() -> None:
    world = world_with_calls()
    world.calls["C-1"].holder = "HS-1"
    desk = voice(world)
    desk.plan(0.0, opened=())
    desk.attach("HS-1", "V-1")
    desk.take_audio("V-1", 4800, np.full(4800, 1000, dtype=np.int16))
    assert desk.links["HS-1"].position == 4800 and desk.mixer.playing("V-1")
    desk.take_audio("V-unknown", 10, np.ones(10, dtype=np.int16))  # not a link: ignored
    assert desk.mixer.streams == ["V-1"]


def test_the_floor_events_bring_the_talk_permit_and_floor_denied_tones() -> None:
    desk = voice(world_with_calls())
    permit = desk.floor_event("C-1", PermissionGranted(call="C-1", limit=None))
    denied = desk.floor_event("C-1", Denied(call="C-1", reason="queue_full"))
    assert permit is not None and np.array_equal(permit, talk_permit_tone())
    assert denied is not None and np.array_equal(denied, floor_denied_tone())
    assert desk.floor_event("C-1", PermissionRevoked(call="C-1", reason="preempted")) is None
    # the permit is a short rising pair of pips, the denial a longer low buzz
    assert len(permit) < len(denied) < 48_000
    assert tone_level(permit, 880.0, bandwidth=40) + tone_level(permit, 1320.0, bandwidth=40) > 0.9
    assert tone_level(denied, 440.0, bandwidth=40) > 0.9

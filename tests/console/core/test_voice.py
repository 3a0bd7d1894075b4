"""The desk's voice decisions: whom it hears (floor holders of monitored calls), whom it talks to (parties of
the calls whose floor it holds), the gains of the mix, idle links, warm links (bounded, most recently heard first),
what of a link's audio is played and recorded, the desk's own voice for the recorder, and the talk-permit and
floor-denied tones."""

from __future__ import annotations

import numpy as np

from console.core.voice import (
    EARLY,
    LINGER,
    MONITOR_GAIN,
    SELECTED_GAIN,
    VOICE_IDLE,
    VOICE_RETRY,
    WARM_RETRY,
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


# ----- warm links ---------------------------------------------------------------------------------------------------


def world_with_members() -> World:
    """G-A (selected) and G-B monitored; G-C not. Members of each, of several kinds and presences."""
    world = World()
    members = {
        "HS-1": ("handset", "registered", ["G-A"]),
        "HS-2": ("handset", "registered", ["G-A", "G-C"]),
        "ST-1": ("station", "busy", ["G-A"]),
        "TR-1": ("train", "registered", ["G-B"]),
        "HS-3": ("handset", "registered", ["G-B"]),
        "HS-4": ("handset", "offline", ["G-A"]),
        "CAM-1": ("camera", "registered", ["G-A"]),
        "HS-9": ("handset", "registered", ["G-C"]),
    }
    for terminal, (kind, presence, groups) in members.items():
        world.apply(wire.PresenceUpdate(terminal=wire.TerminalInfo(id=terminal, kind=kind,  # type: ignore[arg-type]
                                                                   presence=presence,  # type: ignore[arg-type]
                                                                   groups=groups)))
    world.affiliations = ("G-A", "G-B")
    world.selected = "G-A"
    return world


def test_warm_links_go_to_reachable_talkers_of_the_monitored_groups_selected_group_first_and_are_bounded() -> None:
    world = world_with_members()
    desk = DeskVoice(world, lambda: "me", list, warm_links=3)
    # offline terminals, cameras and members of unmonitored groups only are left out; the selected group first
    assert desk.warm() == ["HS-1", "HS-2", "ST-1"]
    plan = desk.plan(0.0, opened=())
    assert plan.open == ["HS-1", "HS-2", "ST-1"] and not plan.key
    assert all(desk.links[t].warm_only for t in plan.open)
    assert DeskVoice(world, lambda: "me", list, warm_links=10).warm() == ["HS-1", "HS-2", "ST-1", "HS-3", "TR-1"]
    assert DeskVoice(world, lambda: "me", list, warm_links=0).warm() == []
    world.affiliations = ()
    assert desk.warm() == []


def test_the_most_recently_heard_talkers_stay_warm_and_the_least_recently_used_link_closes_when_idle() -> None:
    world = world_with_members()
    world.calls["C-B"] = wire.CallInfo(id="C-B", kind="group", group="G-B", parties=["HS-3", "TR-1"])
    desk = DeskVoice(world, lambda: "me", list, warm_links=3)
    for n, terminal in enumerate(desk.plan(0.0, opened=()).open):
        desk.attach(terminal, f"V-{n}")
    opened = [link.session for link in desk.links.values() if link.session is not None]
    # HS-3 (G-B) talks: heard now, and from then on the first to keep warm
    world.calls["C-B"] = wire.CallInfo(id="C-B", kind="group", group="G-B", parties=["HS-3", "TR-1"], holder="HS-3")
    assert desk.plan(1.0, opened=opened).open == ["HS-3"]
    desk.attach("HS-3", "V-3")
    opened.append("V-3")
    world.calls["C-B"] = wire.CallInfo(id="C-B", kind="group", group="G-B", parties=["HS-3", "TR-1"])
    assert desk.warm() == ["HS-3", "HS-1", "HS-2"]
    assert not desk.links["ST-1"].warm_only, "ST-1 dropped out of the warm set"
    assert desk.plan(1.0 + VOICE_IDLE - 1, opened=opened).close == []
    assert desk.plan(1.0 + VOICE_IDLE + 1, opened=opened).close == ["V-2"], "ST-1's link, unused, closes"
    assert sorted(desk.links) == ["HS-1", "HS-2", "HS-3", "ST-1"]


def test_a_warm_link_refused_or_ended_by_its_terminal_is_asked_again_only_after_a_while() -> None:
    world = world_with_members()
    desk = DeskVoice(world, lambda: "me", list, warm_links=1)
    assert desk.plan(0.0, opened=()).open == ["HS-1"]
    desk.failed("HS-1", 0.0)
    assert desk.plan(VOICE_RETRY + 1, opened=()).open == [], "not asked again after the retry of a wanted link"
    assert desk.plan(WARM_RETRY + 1, opened=()).open == ["HS-1"]
    desk.attach("HS-1", "V-1")
    desk.plan(WARM_RETRY + 2, opened=("V-1",))
    desk.session_ended("V-1", WARM_RETRY + 3)  # the terminal stopped it
    assert desk.plan(WARM_RETRY + 4, opened=()).open == []
    assert desk.plan(2 * WARM_RETRY + 4, opened=()).open == ["HS-1"]
    # ended by a failover (no time given): wanted again at once
    desk.attach("HS-1", "V-2")
    desk.session_ended("V-2")
    assert desk.plan(2 * WARM_RETRY + 5, opened=()).open == ["HS-1"]


def test_a_links_audio_is_played_and_recorded_only_while_its_terminal_is_heard() -> None:
    world = world_with_calls()
    desk = voice(world)
    told: list[tuple[str, int]] = []
    desk.listeners.append(lambda talker, pcm: told.append((talker, len(pcm))))
    world.calls["C-1"].holder = "HS-1"
    desk.plan(0.0, opened=())
    desk.attach("HS-1", "V-1")
    world.calls["C-1"].holder = None
    chunk = np.full(1920, 1000, dtype=np.int16)  # 40 ms
    # HS-1 talks in a call the desk does not hear (its microphone is keyed on every link): kept back, then dropped
    for n in range(20):
        desk.take_audio("V-1", 1920 * (n + 1), chunk, now=10.0 + 0.04 * n)
    assert told == [] and not desk.mixer.playing("V-1")
    desk.take_audio("V-1", 1920 * 21, chunk[:0], now=10.8)  # a pause
    # the start of a burst arriving just before the desk learns who took the floor is kept and played first
    desk.take_audio("V-1", 1920 * 22, chunk, now=11.0)
    desk.take_audio("V-1", 1920 * 23, chunk, now=11.04)
    world.calls["C-1"].holder = "HS-1"
    desk.take_audio("V-1", 1920 * 24, chunk, now=11.08)
    assert told == [("HS-1", 3 * 1920)] and desk.mixer.playing("V-1")
    # the floor goes idle: audio in flight still passes for `LINGER`, then nothing
    world.calls["C-1"].holder = None
    desk.take_audio("V-1", 1920 * 25, chunk, now=11.08 + LINGER / 2)
    desk.take_audio("V-1", 1920 * 26, chunk, now=11.08 + LINGER + 0.1)
    assert told == [("HS-1", 3 * 1920), ("HS-1", 1920)]
    assert desk.links["HS-1"].early and sum(len(p) for p in desk.links["HS-1"].early) <= (EARLY + 0.04) * 48_000


def test_the_desks_own_voice_goes_to_the_recorder_as_the_dispatchers_in_the_call_it_talks_in() -> None:
    world = world_with_calls()
    held: list[str] = []
    desk = voice(world, held)
    told: list[str] = []
    desk.listeners.append(lambda talker, pcm: told.append(talker))
    assert desk.speaking() == [] and "me" not in desk.recorded()
    held.append("C-2")
    world.calls["C-1"].holder = "HS-1"
    assert [c.id for c in desk.speaking()] == ["C-2"]
    recorded = desk.recorded()
    assert recorded["me"].id == "C-2" and recorded["HS-1"].id == "C-1"
    desk.take_own_audio(np.ones(960, dtype=np.int16))
    assert told == ["me"] and desk.mixer.streams == [], "recorded, not played back to the dispatcher"
    held.clear()
    world.calls["C-9"] = wire.CallInfo(id="C-9", kind="private", duplex="full", parties=["me", "HS-3"])
    assert [c.id for c in desk.speaking()] == ["C-9"], "a full-duplex private call: the desk talks all along"


def test_only_links_that_bring_what_the_desk_hears_are_read_every_tick_idle_ones_now_and_then() -> None:
    world = world_with_calls()
    world.calls["C-1"].holder = "HS-1"
    desk = voice(world)
    desk.plan(0.0, opened=())
    desk.attach("HS-1", "V-1")
    desk.plan(1.0, opened=("V-1",))  # HS-1 last heard at 1.0
    world.calls["C-1"].holder = None
    world.calls["C-2"].holder = "HS-3"
    desk.plan(1.0, opened=("V-1",))
    desk.attach("HS-3", "V-3")
    desk.plan(1.0, opened=("V-1", "V-3"))
    assert [link.terminal for link in desk.to_read(1.0 + LINGER / 2, every=False)] == ["HS-1", "HS-3"], \
        "HS-1's last audio may still be in flight"
    assert [link.terminal for link in desk.to_read(1.0 + LINGER + 0.1, every=False)] == ["HS-3"]
    assert sorted(link.terminal for link in desk.to_read(1.0 + LINGER + 0.1, every=True)) == ["HS-1", "HS-3"]
    # an idle link that brought audio the desk does not hear (yet) is read every tick until it pauses
    desk.take_audio("V-1", 960, np.ones(960, dtype=np.int16), now=5.0)
    assert "HS-1" in [link.terminal for link in desk.to_read(5.04, every=False)]
    desk.take_audio("V-1", 960, np.zeros(0, dtype=np.int16), now=5.04)
    assert "HS-1" not in [link.terminal for link in desk.to_read(5.08, every=False)]


def test_a_talker_whose_warm_link_was_refused_gets_its_link_at_once_when_it_takes_the_floor() -> None:
    world = world_with_members()
    world.calls["C-A"] = wire.CallInfo(id="C-A", kind="group", group="G-A", parties=["HS-1"])
    desk = DeskVoice(world, lambda: "me", list, warm_links=1)
    assert desk.plan(0.0, opened=()).open == ["HS-1"]
    desk.failed("HS-1", 0.0)
    assert desk.plan(1.0, opened=()).open == []
    world.calls["C-A"] = wire.CallInfo(id="C-A", kind="group", group="G-A", parties=["HS-1"], holder="HS-1")
    assert desk.plan(2.0, opened=()).open == ["HS-1"], "heard now: not held back by the warm link's retry"


def test_another_dispatchers_voice_given_by_the_platform_is_heard_while_it_holds_the_floor_and_never_closed() -> None:
    """The SFU plane: the platform subscribes this desk to a dispatcher talking in a call it monitors (a link the desk
    did not ask for); it is heard while that dispatcher holds the floor, and only the platform ends it."""
    world = world_with_calls()
    desk = voice(world)
    world.calls["C-1"].holder = "other"
    assert desk.heard() == {}, "a dispatcher is not heard without the link the platform gives"
    assert desk.plan(0.0, opened=()).open == [], "and the desk never asks the platform for a dispatcher's voice"
    desk.attach("other", "V-9", given=True)
    assert set(desk.heard()) == {"other"}
    pcm = np.full(960, 1000, dtype=np.int16)
    desk.take_audio("V-9", 960, pcm, now=1.0)
    assert desk.mixer.streams == ["V-9"]
    world.calls["C-1"].holder = None
    plan = desk.plan(VOICE_IDLE * 3, opened=("V-9",))
    assert plan.close == [] and not plan.key, "a given link is the platform's to end, and never keyed"
    assert desk.links["other"].given


def test_in_the_sfu_plane_the_desk_talks_through_its_publication_not_over_links_to_the_parties() -> None:
    world = world_with_calls()
    desk = voice(world, ["C-1"])
    desk.talk_links = False
    plan = desk.plan(0.0, opened=())
    assert plan.open == [] and plan.key == [], "no link opened or keyed to address the call's terminals"
    assert [c.id for c in desk.speaking()] == ["C-1"], "the desk still talks (its publication is keyed)"

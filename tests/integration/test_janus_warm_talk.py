"""Warm talk on the Janus plane (SPEC.md §5.14.9, "Warm talk"): a desk that selects a group has its microphone
published and the group's present handsets subscribed to it ahead, paused and muted, so that the first burst of a
call reaches the handsets as fast as a later one (cold, 1.1 s here: the dispatcher's first words were lost).

Everything is real: Janus (started by the test), the platform brokering it, simulated handsets, a desk core with its
media worker, the desk's microphone a tone whose level is read back from what the handsets received (FFT). Janus
cannot do ICE over loopback, so the body runs in a network namespace of its own (tests/integration/netns.py) and
returns what it measured; the test asserts on it here.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from media.audio import tone_level
from testbed.janus import INSTALL_COMMAND
from tests.integration.janus_plane_support import JanusTestbed, janus_testbed, until
from tests.integration.netns import require_netns, run_in_netns

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(240),
    pytest.mark.skipif(shutil.which("janus") is None, reason=f"janus not installed ({INSTALL_COMMAND})"),
]

#: the desk's microphone: a tone no terminal of the sample line sends
DESK_TONE = 700.0
GROUP = "TG-S01"


@pytest.fixture(autouse=True, scope="module")
def namespaces() -> None:
    require_netns()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("janus-warm-talk-clips"))


def _warm_ready(bed: JanusTestbed, console: str, sinks: Sequence[str]) -> bool:
    """The console's publication and its subscriptions for ``sinks`` live on the platform, paused, and started in
    Janus by the broker."""
    video = bed.platform.state.video
    published = video.publication_of(console, "audio")
    subscriptions = {s.sink: s for s in video.talk_subscriptions() if s.source == console}
    sfu = bed.platform.sfu
    if published is None or published.state != "live" or sfu is None:
        return False
    started = {s.sink for s in sfu.subscriptions.values() if s.source == console and s.started}
    return all(sink in subscriptions and subscriptions[sink].state == "live" and subscriptions[sink].paused
               and sink in started for sink in sinks)


async def _first(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``check`` every 10 ms (finer than `until`: this is what is measured); the seconds it took."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)
    return time.monotonic() - began


async def warm_talk_body(clips: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with janus_testbed(clips) as bed:
        fleet = await bed.start_fleet("HS-001", "HS-002", "HS-003")
        handsets = [fleet.terminal(t) for t in ("HS-001", "HS-002")]
        elsewhere = fleet.terminal("HS-003")
        # no warm listening links: what the test sees is the desk's talk alone
        talker = await bed.desk("chief", microphone=f"tone:{DESK_TONE:.0f}", warm_voice_links=0)
        assert talker.media is not None
        await talker.select(GROUP)
        out["warm_after"] = await until(lambda: _warm_ready(bed, "chief", ["HS-001", "HS-002"]), 30.0,
                                        "the desk's warm publication and subscriptions")
        sfu = bed.platform.sfu
        assert sfu is not None
        video = bed.platform.state.video
        out["muted_before"] = next((p.muted for p in sfu.publications.values() if p.source == "chief"), None)

        # nothing is heard without the floor: the desk's microphone stuck open on its warm publication
        publication = talker.media.publication
        assert publication is not None and talker.media.engine is not None
        await talker.media.engine.set_microphone([publication.session], True)
        await asyncio.sleep(1.5)
        out["frames_without_floor"] = {t.id: t.feeds.frames_heard() for t in handsets}
        await talker.media.engine.set_microphone([publication.session], False)
        await asyncio.sleep(0.3)

        # the first burst of a call: no set-up left, the grant resumes and unmutes
        sessions = set(video.sessions)
        counts = {t.id: t.feeds.frames_heard() for t in handsets}
        pressed = time.monotonic()
        out["outcome"] = (await talker.ptt_press()).outcome
        out["first_audio_after"] = (time.monotonic() - pressed) + await _first(
            lambda: all(t.feeds.frames_heard() > counts[t.id] for t in handsets), 10.0, "the first audio")
        await _first(lambda: all(tone_level(t.feeds.heard(0.3), DESK_TONE) > 0.8 for t in handsets), 10.0,
                     "the desk's tone at both handsets")
        out["handsets_after"] = time.monotonic() - pressed
        out["sessions_unchanged"] = set(video.sessions) == sessions
        out["elsewhere_frames"] = elsewhere.feeds.frames_heard()
        await talker.ptt_release()
        await asyncio.sleep(0.5)
        out["paused_after_release"] = sorted(s.paused for s in video.talk_subscriptions())

        # a handset of the group that registers later is subscribed ahead too, and hears the next burst at once
        late_fleet = await bed.start_fleet("HS-035")
        late = late_fleet.terminal("HS-035")
        out["late_warm_after"] = await until(lambda: _warm_ready(bed, "chief", ["HS-001", "HS-002", "HS-035"]),
                                             30.0, "the late handset's subscription")
        out["late_frames_before"] = late.feeds.frames_heard()
        sessions = set(video.sessions)
        pressed = time.monotonic()
        out["late_outcome"] = (await talker.ptt_press()).outcome
        await _first(lambda: tone_level(late.feeds.heard(0.3), DESK_TONE) > 0.8, 10.0,
                     "the desk's tone at the late handset")
        out["late_after"] = time.monotonic() - pressed
        out["late_sessions_unchanged"] = set(video.sessions) == sessions
        await talker.ptt_release()
        await asyncio.sleep(0.3)
    return out


def test_the_dispatchers_first_burst_reaches_the_handsets_without_set_up_through_warm_talk(clips: str) -> None:
    r = run_in_netns(warm_talk_body, clips, timeout=200)

    assert r["muted_before"] is True, "the broker mutes the warm publication until the desk holds a floor"
    assert r["frames_without_floor"] == {"HS-001": 0, "HS-002": 0}, "nothing is heard without the floor"
    assert r["outcome"] == "granted"
    assert r["sessions_unchanged"], "the grant set nothing up: it resumed the warm subscriptions"
    # How fast is a figure for bench/bench_voice_warm.py, not a timed assertion (a loaded CI machine once took 1.1 s
    # here); what makes it fast is asserted instead: the grant set nothing up, it resumed what was warm.
    assert r["elsewhere_frames"] == 0, "a handset outside the group hears nothing"
    assert r["paused_after_release"] == [True, True], "paused again after the burst, kept for the next"
    assert r["late_outcome"] == "granted" and r["late_frames_before"] == 0
    assert r["late_sessions_unchanged"], "the late handset was subscribed ahead: its first burst set nothing up"
    print(f"\nwarm talk through Janus: ready {r['warm_after']:.2f} s after selecting the group; first burst of the "
          f"call: first audio at the handsets {r['first_audio_after']:.3f} s after the press, the tone at full level "
          f"(0.3 s window) {r['handsets_after']:.3f} s; a handset registered later: ready "
          f"{r['late_warm_after']:.2f} s, tone {r['late_after']:.3f} s")

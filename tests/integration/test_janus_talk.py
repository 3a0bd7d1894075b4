"""The dispatcher talks in the SFU media plane (SPEC.md §5.14.9, "Consoles talk"): its microphone is published into
the group's room once, the group's handsets and the other console monitoring the group hear it through Janus, only
while the desk holds the floor.

Everything is real: Janus (started by the test), the platform brokering it, simulated handsets, two desk cores with
their media workers, the desk's microphone a tone whose level is read back from what the handsets and the other
console received (FFT). Janus cannot do ICE over loopback, so the body runs in a network namespace of its own
(tests/integration/netns.py) and returns what it measured; the test asserts on it here.

Terminals never hear each other in the testbed, in either plane: a simulated terminal receives audio only from a
dispatcher (a voice link of the direct plane, a console's publication here); a handset's burst reaches the desks.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from typing import Any

import pytest

from media.audio import tone_level
from testbed.janus import INSTALL_COMMAND
from tests.integration.janus_plane_support import janus_testbed, until
from tests.integration.netns import require_netns, run_in_netns

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(240),
    pytest.mark.skipif(shutil.which("janus") is None, reason=f"janus not installed ({INSTALL_COMMAND})"),
]

#: the desk's microphone: a tone no terminal of the sample line sends
DESK_TONE = 700.0


@pytest.fixture(autouse=True, scope="module")
def namespaces() -> None:
    require_netns()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("janus-talk-clips"))


async def desk_talks_body(clips: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with janus_testbed(clips) as bed:
        # no warm talk: this test is about the voice set up when the desk first talks (warm talk, which opens it
        # ahead when a desk monitors a group: test_janus_warm_talk.py)
        bed.platform.state.video.warm_groups = 0
        fleet = await bed.start_fleet("HS-001", "HS-002", "HS-003")
        first, second, elsewhere = (fleet.terminal(t) for t in ("HS-001", "HS-002", "HS-003"))
        # no warm links: the desks listen to nobody ahead, so that what the test sees is the desk's talk alone
        talker = await bed.desk("chief", microphone=f"tone:{DESK_TONE:.0f}", warm_voice_links=0)
        other = await bed.desk("train1", warm_voice_links=0)
        await talker.select("TG-S01")
        await other.monitor(["TG-S01"])
        assert talker.media is not None and other.media is not None
        handsets = (first, second)

        def at_handset(terminal: Any, seconds: float = 0.3) -> float:
            return tone_level(terminal.feeds.heard(seconds), DESK_TONE)

        def at_other(seconds: float = 0.4) -> float:
            assert other.media is not None
            return tone_level(other.media.voice.mixer.output.last(seconds), DESK_TONE)

        pressed = time.monotonic()
        result = await talker.ptt_press()
        out["outcome"] = result.outcome
        await until(lambda: all(at_handset(t) > 0.8 for t in handsets), 20.0, "the desk's voice at both handsets")
        out["handsets_after"] = time.monotonic() - pressed
        await until(lambda: at_other() > 0.5, 10.0, "the desk's voice at the other console")
        out["other_console_after"] = time.monotonic() - pressed
        out["elsewhere_frames"] = elsewhere.feeds.frames_heard()
        state = bed.platform.state.video
        out["publications"] = sorted(f"{s.source}/{s.media}" for s in state.sessions.values() if s.publication)
        out["talk_subscriptions"] = sorted(s.sink for s in state.talk_subscriptions())
        out["janus_publishers"] = await bed.publishers()
        sfu = bed.platform.sfu
        assert sfu is not None
        out["room"] = next((p.room for p in sfu.publications.values() if p.source == "chief"), None)
        out["muted_while_talking"] = next((p.muted for p in sfu.publications.values() if p.source == "chief"), None)

        await talker.ptt_release()
        await asyncio.sleep(0.5)  # what was in flight arrives
        counts = {t.id: t.feeds.frames_heard() for t in handsets}
        other_link = other.media.voice.links.get("chief")
        other_frames = await _frames(other, other_link.session if other_link is not None else None)
        await asyncio.sleep(1.5)
        out["frames_after_release"] = {t.id: t.feeds.frames_heard() - counts[t.id] for t in handsets}
        out["other_frames_after_release"] = await _frames(other, other_link.session if other_link else None) \
            - other_frames
        out["other_level_after_release"] = at_other(1.0)
        out["paused_after_release"] = sorted(s.paused for s in state.talk_subscriptions())

        # the next burst of the same call needs no set-up: the subscriptions were kept (paused) for it
        pressed = time.monotonic()
        out["second_outcome"] = (await talker.ptt_press()).outcome
        await until(lambda: all(t.feeds.frames_heard() > counts[t.id] + 10 for t in handsets), 10.0,
                    "the desk's voice again on the next burst")
        out["second_burst_after"] = time.monotonic() - pressed
        await talker.ptt_release()
        await asyncio.sleep(0.5)

        # the desk's microphone stuck open without the floor while a handset talks: nothing of it is relayed
        publication = talker.media.publication
        assert publication is not None and talker.media.engine is not None
        await talker.media.engine.set_microphone([publication.session], True)
        counts = {t.id: t.feeds.frames_heard() for t in handsets}
        burst = asyncio.create_task(second.talk(3.0, "TG-S01"))
        await asyncio.sleep(2.5)
        out["stuck_microphone_frames"] = {t.id: t.feeds.frames_heard() - counts[t.id] for t in handsets}
        out["muted_while_not_holding"] = next((p.muted for p in sfu.publications.values() if p.source == "chief"),
                                              None)
        out["handset_burst"] = (await burst).outcome
    return out


async def _frames(desk: Any, session: str | None) -> int:
    """Audio frames a desk received on a session so far (0 without one)."""
    if session is None or desk.media is None or desk.media.engine is None:
        return 0
    stats = await desk.media.engine.stats(session)
    entry = stats.get(session)
    return entry.audio.frames if entry is not None and entry.audio is not None else 0


def test_the_dispatcher_talks_through_janus_to_the_groups_handsets_and_consoles_only_while_holding_the_floor(
        clips: str) -> None:
    r = run_in_netns(desk_talks_body, clips, timeout=200)

    assert r["outcome"] == "granted" and r["second_outcome"] == "granted"
    # published once, into the group's room; one subscription per other party of the call
    assert r["publications"] == ["chief/audio"], r["publications"]
    assert r["janus_publishers"].get("chief") == 1, r["janus_publishers"]
    assert r["room"] == "TG-S01"
    assert r["talk_subscriptions"] == ["HS-001", "HS-002", "train1"]
    assert r["muted_while_talking"] is False
    # heard where it should be, and only there
    assert r["handsets_after"] < 15.0 and r["other_console_after"] < 15.0
    assert r["elsewhere_frames"] == 0, "a handset outside the group hears nothing"
    # only while the desk holds the floor
    assert r["frames_after_release"] == {"HS-001": 0, "HS-002": 0}, "no audio after the release"
    assert r["other_frames_after_release"] == 0 and r["other_level_after_release"] < 0.05
    assert r["paused_after_release"] == [True, True, True], "the subscriptions wait, paused, for the next burst"
    assert r["second_burst_after"] < 3.0, "the next burst of the call needs no set-up"
    # a microphone keyed without the floor is not relayed (the platform pauses and Janus mutes it)
    assert r["handset_burst"] == "granted"
    assert r["stuck_microphone_frames"] == {"HS-001": 0, "HS-002": 0}, r["stuck_microphone_frames"]
    assert r["muted_while_not_holding"] is True
    print(f"\nthe desk's voice through Janus: at the handsets {r['handsets_after']:.2f} s after the press "
          f"(first burst of a call: publication and subscriptions set up), at the other console "
          f"{r['other_console_after']:.2f} s; the next burst {r['second_burst_after']:.2f} s")

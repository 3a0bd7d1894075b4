"""Group voice through Janus: AudioBridge (a mixed room, floor by mute/unmute) against a VideoRoom (every party
publishes its microphone, the floor holder alone is relayed: ``moderate`` plus one ``switch`` per listener).

For a group of N parties (one talker, N-1 listeners, all aiortc in one process) each design is measured on the
same Janus: Janus's CPU while the talker talks, the mouth-to-ear onset (the talker's microphone opens → the first
20 ms frame carrying its tone decoded at each listener; median and worst over listeners and repeats), and the
time the platform spends on the Janus API to hand the floor to another party. Runs inside a network namespace
(Janus cannot do ICE over loopback), so it needs root or user namespaces, and ``janus`` installed.

Run from the repository root: ``.venv/bin/python -m bench.bench_janus_voice`` (about a minute; ``--quick`` for a
smoke run that records nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av

from bench._janus import can_run, finish, measure_in_netns
from bench._procs import cpu_seconds
from media.audio import tone_level
from media.janus import (
    WEBRTCUP,
    AudioBridgeAdmin,
    AudioBridgeParticipant,
    JanusClient,
    StreamRef,
    VideoRoomAdmin,
    VideoRoomPublisher,
    VideoRoomSubscriber,
)
from media.sources import GatedTrack, ToneTrack
from tests.integration.janus_support import VoiceParty, janus_in_namespace, peers_on_veth, until

SECTION = "Janus: group voice, AudioBridge against VideoRoom"
TONE = 700.0


class Ear(VoiceParty):
    """A listener that notes when the first frame carrying the tone arrives after `arm`."""

    def __init__(self, name: str) -> None:
        super().__init__(None, name)
        self.armed_at: float | None = None
        self.onset: float | None = None

    def arm(self) -> None:
        self.armed_at, self.onset = time.monotonic(), None

    def note(self) -> None:
        """After each frame: is the tone in the newest 20 ms (the frame just added)?"""
        if self.armed_at is not None and self.onset is None and tone_level(self.heard.last(0.02), TONE) > 0.5:
            self.onset = time.monotonic() - self.armed_at

    def _frame(self, frame: Any) -> None:
        super()._frame(frame)
        if isinstance(frame, av.AudioFrame):
            self.note()


def _mouth(gate: list[bool]) -> GatedTrack:
    return GatedTrack(ToneTrack(TONE), lambda: gate[0])


async def _onsets(gate: list[bool], ears: list[Ear], repeats: int) -> list[float]:
    onsets: list[float] = []
    for _ in range(repeats):
        gate[0] = False
        await asyncio.sleep(0.6)
        for ear in ears:
            ear.arm()
        gate[0] = True
        await until(lambda: all(e.onset is not None for e in ears), 5, "the tone at every listener")
        onsets += [e.onset for e in ears if e.onset is not None]
    return onsets


async def _cpu_while(pid: int, seconds: float) -> float:
    before, began = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - began)


async def audiobridge(session: Any, janus_pid: int, parties: int, repeats: int, window: float) -> dict[str, Any]:
    admin = await AudioBridgeAdmin.attach(session)
    room = await admin.create()
    gate = [False]
    talker = VoiceParty(None, "talker")
    talker.tone = _mouth(gate)  # type: ignore[assignment]
    joined = await AudioBridgeParticipant.join(session, room, offer_sdp=await talker.offer())
    await talker.accept(joined.answer_sdp or "")
    ears = [Ear(f"ear-{i}") for i in range(parties - 1)]
    for ear in ears:
        member = await AudioBridgeParticipant.join(session, room, offer_sdp=await ear.offer())
        await ear.accept(member.answer_sdp or "")
    await until(lambda: all(e.frames_heard > 10 for e in ears), 20, "the mix at every listener")
    began = time.monotonic()
    await admin.unmute(room, joined.id)  # the grant
    grant = time.monotonic() - began
    onsets = await _onsets(gate, ears, repeats)
    gate[0] = True
    cpu = await _cpu_while(janus_pid, window)
    for party in (talker, *ears):
        await party.close()
    await admin.destroy(room)
    return {"onsets": onsets, "cpu": cpu, "grant": grant}


async def videoroom(session: Any, janus_pid: int, parties: int, repeats: int, window: float) -> dict[str, Any]:
    admin = await VideoRoomAdmin.attach(session)
    room = await admin.create(audiocodec="opus", publishers=max(32, parties + 1))
    gate = [False]
    publishers = []
    for index in range(parties):
        party = VoiceParty(None, f"mic-{index}")
        party.tone = _mouth(gate) if index == 0 else GatedTrack(ToneTrack(TONE), lambda: False)  # type: ignore[assignment]
        publisher = await VideoRoomPublisher.join(session, room)
        mark = publisher.handle.event_count
        await party.accept(await publisher.publish(await party.offer()))
        await publisher.handle.wait_event(lambda e: e.kind == WEBRTCUP, after=mark, timeout=10)
        await admin.moderate(room, publisher.feed_id, publisher.streams[0].mid, mute=True)
        publishers.append((party, publisher))
    ears: list[tuple[Ear, VideoRoomSubscriber]] = []
    for index in range(1, parties):  # every party but the talker listens (to the last holder: party 1)
        ear = Ear(f"ear-{index}")
        subscription = await VideoRoomSubscriber.join(session, room, [StreamRef(publishers[1][1].feed_id, "0")])
        await subscription.start(await ear.answer(subscription.offer_sdp))
        ears.append((ear, subscription))
    await until(lambda: all(e.pc.connectionState == "connected" for e, _ in ears), 20, "every listener connected")
    talker = publishers[0][1]
    began = time.monotonic()  # the grant: the holder's voice relayed, every listener pointed at it
    await asyncio.gather(admin.moderate(room, publishers[1][1].feed_id, "0", mute=True),
                         admin.moderate(room, talker.feed_id, "0", mute=False),
                         *(s.switch(talker.feed_id, "0") for _, s in ears))
    grant = time.monotonic() - began
    onsets = await _onsets(gate, [e for e, _ in ears], repeats)
    gate[0] = True
    cpu = await _cpu_while(janus_pid, window)
    for party, _ in publishers:
        await party.close()
    for ear, _ in ears:
        await ear.close()
    await admin.destroy(room)
    return {"onsets": onsets, "cpu": cpu, "grant": grant}


async def measure(sizes: list[int], repeats: int, window: float) -> dict[str, Any]:
    """Inside the namespace: each design for each group size, on one Janus."""
    peers_on_veth()
    results: dict[str, Any] = {}
    async with janus_in_namespace(debug_level=3) as janus, await JanusClient.connect(janus.url) as client:
        assert janus.pid is not None
        session = await client.create_session()
        idle = await _cpu_while(janus.pid, 2.0)
        results["idle"] = idle
        for parties in sizes:
            for name, design in (("audiobridge", audiobridge), ("videoroom", videoroom)):
                me = time.process_time()
                began = time.monotonic()
                result = await design(session, janus.pid, parties, repeats, window)
                result["peers_cpu"] = (time.process_time() - me) / (time.monotonic() - began)
                results[f"{name}-{parties}"] = result
    return results


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="groups of 2 only, few repeats; records nothing")
    args = parser.parse_args(argv)
    if not can_run():
        return 2
    sizes, repeats, window = ([2], 2, 2.0) if args.quick else ([2, 10, 20], 5, 5.0)
    results = measure_in_netns("bench.bench_janus_voice", sizes, repeats, window, timeout=600)
    lines = [
        "Janus 1.1.2 in a network namespace, aiortc peers in one process on the other end of a veth pair; one",
        "talker (a 700 Hz tone, its microphone keyed for each repeat), every other party listening. Onset: the",
        "talker's microphone opens → the first decoded 20 ms frame with the tone at a listener (median / worst",
        "over listeners and repeats). Janus CPU: share of one core while the talker talks. Grant: time on the",
        "Janus API to give the floor to the talker (AudioBridge: `unmute`; VideoRoom: two `moderate` and one",
        "`switch` per listener, sent concurrently).",
        "",
        f"Janus idle: {results['idle'] * 100:.1f} % of a core.",
        "",
        "| parties | design | onset median | onset worst | Janus CPU | grant | aiortc peers CPU |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for parties in sizes:
        for name in ("audiobridge", "videoroom"):
            r = results[f"{name}-{parties}"]
            lines.append(f"| {parties} | {name} | {_ms(statistics.median(r['onsets']))} | {_ms(max(r['onsets']))} "
                         f"| {r['cpu'] * 100:.1f} % | {_ms(r['grant'])} | {r['peers_cpu'] * 100:.0f} % |")
    lines += [
        "",
        "AudioBridge decodes every unmuted party and encodes a mix for every party, all the time (muted parties",
        "still get their mix); a VideoRoom relays the holder's Opus packets untouched. See docs/architecture.md",
        "and issue 7 for the choice.",
    ]
    return finish(SECTION, lines, results, quick=args.quick)


if __name__ == "__main__":
    raise SystemExit(main())

"""The Janus media plane against the direct one: 30 camera feeds to 1, 2 and 4 consoles.

Inside a network namespace (Janus cannot do ICE over loopback; tests/integration/netns.py), the bench process runs
the platform (brokering Janus, or the direct plane) and 30 simulated cameras sending their stamped clips (320x180,
25 fps, pre-encoded H.264); each console is a process of its own (tests/integration/wall_console.py: the desk core
with one media worker) pulling the 30 feeds as thumbnails. Once every tile of every console shows its own
terminal's pictures and a settling time has passed, over a window it measures:

- the terminals' uplink: RTP bytes their peer connections sent, per feed (the target of the Janus plane: one copy
  of each feed whatever the number of consoles; the direct plane sends one per console);
- each console's CPU (its process and its media worker) per tile, and its received frame rate per tile;
- Janus's CPU, and the bench process's (platform, broker and the 30 senders).

Run from the repository root: ``.venv/bin/python -m bench.bench_janus`` (about 4 minutes; ``--quick``: 6 feeds,
1 and 2 consoles, short windows, records nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._janus import can_run, finish, measure_in_netns
from bench._procs import cpu_seconds
from testbed.line import default_line_path, load_line
from testbed.platform.server import PlatformServer
from testbed.terminals import Fleet
from testbed.terminals.feeds import FeedSettings
from tests.integration.janus_plane_support import ConsoleProcess, janus_testbed
from tests.integration.janus_support import PEER_ADDRESS, peers_on_veth

SECTION = "Janus: 30 feeds to several consoles, against the direct plane"
USERS = ("chief", "train1", "train2", "env1")
#: seconds the platform and consoles wait before counting a session lost (see janus_plane_support.janus_testbed)
LOSS_AFTER = 4.0


async def _uplink(fleet: Fleet, cameras: list[str]) -> int:
    """RTP bytes the cameras' peer connections sent so far (publications, or direct senders)."""
    total = 0
    for camera in cameras:
        feeds = fleet.terminal(camera).feeds
        for publication in feeds.sfu.publications.values():
            if publication.publisher is not None:
                total += sum((await publication.publisher.bytes_sent()).values())
        for feed in feeds.feeds.values():
            if feed.sender is not None:
                report = await feed.sender._pc.getStats()
                total += sum(int(s.bytesSent) for s in report.values() if s.type == "outbound-rtp")
    return total


async def _run_consoles(url: str, fleet: Fleet, cameras: list[str], *, count: int, settle: float, window: float,
                        janus_pid: int | None) -> dict[str, Any]:
    numbers = {camera: fleet.media_numbers[camera] for camera in cameras}
    consoles = [await ConsoleProcess.start(url, USERS[i], cameras, numbers) for i in range(count)]
    try:
        began = time.monotonic()
        while not all(c.last.get("right") == len(cameras) for c in consoles):
            if time.monotonic() - began > 120:
                raise RuntimeError(f"{count} consoles: tiles never all showed ({[c.last for c in consoles]})")
            await asyncio.sleep(0.2)
        shown_after = time.monotonic() - began
        await asyncio.sleep(settle)
        pids = {i: c.pids for i, c in enumerate(consoles)}
        before = {i: sum(cpu_seconds(p) for p in ps) for i, ps in pids.items()}
        janus_before = cpu_seconds(janus_pid) if janus_pid else 0.0
        me_before, sent_before, t0 = time.process_time(), await _uplink(fleet, cameras), time.monotonic()
        await asyncio.sleep(window)
        spent = time.monotonic() - t0
        sent = await _uplink(fleet, cameras) - sent_before
        me = (time.process_time() - me_before) / spent
        cpu = {i: (sum(cpu_seconds(p) for p in ps) - before[i]) / spent for i, ps in pids.items()}
        fps = [f for c in consoles for f in c.last.get("fps", [])]
        return {
            "consoles": count, "shown_after": shown_after,
            "uplink_kbit_per_feed": sent * 8 / 1000 / spent / len(cameras),
            "console_cpu": [cpu[i] for i in sorted(cpu)],
            "cpu_per_tile": statistics.mean(cpu.values()) / len(cameras),
            "fps_median": statistics.median(fps) if fps else 0.0, "fps_min": min(fps) if fps else 0.0,
            "janus_cpu": (cpu_seconds(janus_pid) - janus_before) / spent if janus_pid else None,
            "bench_process_cpu": me,
            "wrong": sum(c.last.get("wrong", 0) for c in consoles),
        }
    finally:
        for console in consoles:
            await console.quit()


async def _until_quiet(platform: PlatformServer, timeout: float = 30.0) -> None:
    """Every session of the consoles that left has ended (and with them, the publications)."""
    began = time.monotonic()
    while platform.state.video.sessions and time.monotonic() - began < timeout:  # noqa: ASYNC110 (polls state)
        await asyncio.sleep(0.2)


async def measure(feeds: int, counts: list[int], direct_counts: list[int], settle: float, window: float
                  ) -> dict[str, Any]:
    """Inside the namespace: the Janus plane for each console count, then the direct plane."""
    peers_on_veth()
    clips = tempfile.mkdtemp(prefix="bench-janus-clips-")
    results: dict[str, Any] = {"janus": [], "direct": []}
    async with janus_testbed(clips, loss_after=LOSS_AFTER) as bed:
        cameras = [t.id for t in bed.line.terminals.values() if t.kind == "camera"][:feeds]
        fleet = await bed.start_fleet(*cameras)
        await asyncio.gather(*(fleet.terminal(c).feeds.prepare("thumb") for c in cameras))
        janus_pid = bed.janus.pid
        assert janus_pid is not None
        idle = cpu_seconds(janus_pid)
        await asyncio.sleep(2.0)
        results["janus_idle"] = (cpu_seconds(janus_pid) - idle) / 2.0
        for count in counts:
            results["janus"].append(await _run_consoles(bed.platform.url, fleet, cameras, count=count, settle=settle,
                                                        window=window, janus_pid=janus_pid))
            await _until_quiet(bed.platform)
    line = load_line(default_line_path())
    platform = PlatformServer(line, heartbeat_interval=LOSS_AFTER / 4, loss_threshold=4)
    await platform.start()
    fleet = Fleet(line, platform.url, rate=0, include=cameras,
                  media=FeedSettings(allowed_addresses=(PEER_ADDRESS,), clip_cache=Path(clips), clip_seconds=4.0))
    try:
        await fleet.start()
        for count in direct_counts:
            results["direct"].append(await _run_consoles(platform.url, fleet, cameras, count=count, settle=settle,
                                                         window=window, janus_pid=None))
            await _until_quiet(platform)
    finally:
        with contextlib.suppress(Exception):
            await fleet.stop()
        await platform.stop()
    return results


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f} %"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 feeds, 1 and 2 consoles, short windows; records "
                                                             "nothing")
    args = parser.parse_args(argv)
    if not can_run():
        return 2
    if args.quick:
        feeds, counts, direct_counts, settle, window = 6, [1, 2], [1], 2.0, 4.0
    else:
        feeds, counts, direct_counts, settle, window = 30, [1, 2, 4], [1, 2], 5.0, 10.0
    results = measure_in_netns("bench.bench_janus", feeds, counts, direct_counts, settle, window, timeout=1200)
    lines = [
        f"{feeds} simulated cameras (320x180, 25 fps, about 250 kbit/s pre-encoded H.264) pulled as thumbnails by",
        "each console; a console is a process of its own with one media worker (the desk core, real WebRTC,",
        "decoding every tile). Janus 1.1.2 and every party in one network namespace on a veth pair. Each row:",
        f"after every tile of every console showed its own terminal and {settle:g} s more, a {window:g} s window.",
        "Uplink: RTP bytes the terminals' peer connections sent, per feed. Console CPU: its process plus its media",
        "worker, share of one core (per console, and per tile averaged over consoles). The bench process holds",
        f"the platform (and its Janus broker) and the {feeds} senders.",
        "",
        f"Janus idle: {results['janus_idle'] * 100:.1f} % of a core.",
        "",
        "| plane | consoles | uplink per feed | console CPU (each) | CPU per tile | fps per tile (median / min) "
        "| Janus CPU | bench process | all tiles after |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for plane in ("janus", "direct"):
        for r in results[plane]:
            each = ", ".join(_pct(c) for c in r["console_cpu"])
            lines.append(f"| {plane} | {r['consoles']} | {r['uplink_kbit_per_feed']:.0f} kbit/s | {each} | "
                         f"{r['cpu_per_tile'] * 100:.2f} % | {r['fps_median']:.1f} / {r['fps_min']:.1f} | "
                         f"{_pct(r['janus_cpu'])} | {_pct(r['bench_process_cpu'])} | {r['shown_after']:.1f} s |")
    one_janus = results["janus"][0]["cpu_per_tile"]
    one_direct = results["direct"][0]["cpu_per_tile"]
    lines += [
        "",
        f"Console CPU per tile, Janus plane / direct plane (one console): {one_janus / one_direct:.2f}.",
        "Through Janus each terminal sends its feed once whatever the number of consoles; directly, once per",
        "console. Receiving costs a console the same either way (it decodes the same H.264); the SFU adds a hop,",
        "Janus's CPU, and the platform's broker. The machine has two cores shared by every process here (and by",
        "whatever else runs): a row whose frame rate falls well below 25 ran out of CPU, and its CPU per tile is",
        "then a share of what was left, not a cost to compare. The uplink is the figure that scales: per feed it",
        "stays one thumbnail through Janus, and grows with each console in the direct plane.",
    ]
    return finish(SECTION, lines, results, quick=args.quick)


if __name__ == "__main__":
    raise SystemExit(main())

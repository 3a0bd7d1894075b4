"""A dispatcher's console as a process of its own, for the Janus plane's tests and benchmark: the desk core signs in,
pulls feeds onto its video wall (real media engine, real WebRTC) and reports what its tiles show, once a second, as
JSON lines on stdout; it runs until killed (the point, for "one console dies, the others carry on") or told
``quit`` on stdin.

    python -m tests.integration.wall_console --url ws://127.0.0.1:7700 --user train1 --address 10.200.0.2 \\
        --feeds CAM-S01-1,CAM-S02-1 --numbers '{"CAM-S01-1": 12, ...}'

Lines: ``{"event": "ready", "pid": .., "workers": [..]}`` once the pulls are answered, then ``{"event": "tiles",
"right": n, "wrong": n, "fps": [..], "sizes": [..]}`` (tiles showing their own terminal's stamp, tiles showing
another's, frame rate and picture size per tile).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
from pathlib import Path


def _emit(**fields: object) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


async def run(args: argparse.Namespace) -> int:
    from console.core.desk import Desk
    from console.core.media_desk import MediaOptions
    from media.stamp import read_frame_stamp

    feeds = [f for f in args.feeds.split(",") if f]
    numbers: dict[str, int] = json.loads(args.numbers)
    by_number = {number: terminal for terminal, number in numbers.items()}
    folder = Path(tempfile.mkdtemp(prefix="wall-console-"))
    desk = Desk(folder / "events.db", media=MediaOptions(allowed_addresses=(args.address,), workers=args.workers,
                                                       voice=False))
    await desk.connect(args.url, args.user, args.password)
    assert desk.media is not None
    await asyncio.gather(*(desk.pull_video(feed) for feed in feeds))
    engine = await desk.media.start()
    _emit(event="ready", pid=os.getpid(), workers=engine.worker_pids)
    stop = asyncio.Event()

    def command() -> None:  # "quit", or stdin closed: the parent is done with us
        line = sys.stdin.readline()
        if not line or line.strip() == "quit":
            stop.set()

    asyncio.get_running_loop().add_reader(sys.stdin.fileno(), command)
    try:
        while not stop.is_set():
            right = wrong = 0
            sizes: list[list[int]] = []
            for index, feed in enumerate(feeds):
                frame = desk.media.read_tile(index)
                stamp = read_frame_stamp(frame.luma()) if frame is not None else None
                shown = by_number.get(stamp[0]) if stamp is not None else None
                right += shown == feed
                wrong += shown is not None and shown != feed
                sizes.append([frame.width, frame.height] if frame is not None else [0, 0])
            fps = [round(desk.media.wall.tiles[i].fps, 1) if i in desk.media.wall.tiles else 0.0
                   for i in range(len(feeds))]
            _emit(event="tiles", right=right, wrong=wrong, fps=fps, sizes=sizes)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), args.every)
    finally:
        await desk.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", default="demo")
    parser.add_argument("--address", required=True, help="the address media may use")
    parser.add_argument("--feeds", required=True, help="terminals to pull, comma-separated, tile by tile")
    parser.add_argument("--numbers", required=True, help="JSON: each terminal's stamp number")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between two reports")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format=f"%(asctime)s console-{args.user} %(name)s %(levelname)s %(message)s")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())

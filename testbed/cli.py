"""`trunkdesk testbed`: the reference platform and the simulated line, headless.

Prints one ``listening ws://HOST:PORT`` line per platform instance, then a live summary once a second
(terminals registered, calls, floor grants per second), and stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from pathlib import Path

from testbed.line import LineError, default_line_path, load_line

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The testbed's command-line options (shared by `trunkdesk testbed` and `trunkdesk demo`)."""
    parser.add_argument("--line", type=Path, default=None, help="line file (default: the sample line)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the simulated behaviours")
    parser.add_argument("--rate", type=float, default=1.0,
                        help="scale of behaviour rates (talk bursts, texts, alarms); 0 turns them off")
    parser.add_argument("--speed", type=float, default=1.0, help="timetable speed factor (10 = ten times faster)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7700, help="port of instance A (0 picks a free one)")
    parser.add_argument("--no-terminals", action="store_true", help="run the platform only")
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    parser.add_argument("--quiet", action="store_true", help="no live summary")


async def run(args: argparse.Namespace) -> int:
    """Run the platform (and the simulated line) until interrupted or ``--duration`` passes."""
    from testbed.platform.server import PlatformServer

    try:
        line = load_line(args.line or default_line_path())
    except LineError as exc:
        print(f"trunkdesk testbed: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"trunkdesk testbed: cannot read line file: {exc}", file=sys.stderr)
        return 2
    platform = PlatformServer(line, host=args.host, port=args.port, instance="A")
    try:
        await platform.start()
    except OSError as exc:
        print(f"trunkdesk testbed: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    print(f"listening {platform.url}", flush=True)
    fleet = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if not args.no_terminals:
            from testbed.terminals.fleet import Fleet

            fleet = Fleet(line, platform.url, seed=args.seed, rate=args.rate, speed=args.speed)
            await fleet.start()
        started = time.monotonic()
        last_grants = 0
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            summary = platform.summary()
            grants = summary["floor_grants"]
            if not args.quiet:
                print(
                    f"terminals {summary['terminals_registered']:4d}  consoles {summary['consoles']:2d}  "
                    f"calls {summary['calls']:3d}  floor grants/s {grants - last_grants:4d}  "
                    f"requests {summary['requests']}",
                    flush=True,
                )
            last_grants = grants
            if args.duration is not None and time.monotonic() - started >= args.duration:
                break
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if fleet is not None:
            await fleet.stop()
        await platform.stop()
        print("testbed stopped", flush=True)
    return 0

"""TDP/1 request round trips on loopback: `TrunkingClient` to `TrunkingServer`, latency and throughput.

The server runs in a child process (as a platform would, on its own core); the client asks floor
requests with idempotency keys, the hot command of a desk, and the server answers each at once.
Measured: N sequential requests (p50/p99 latency) and the same N with 16 in flight on one connection
(requests/s). Baseline, measured in the same run against the same child process: a bare websockets
echo of the same frames with no session layer, so the ratio shows what the session machines and
drivers cost.

Run from the repository root: ``.venv/bin/python -m bench.bench_roundtrip`` (about 15 s; ``--quick``
for a smoke run that records nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.server import ServerConnection, serve

from protocols.aio.client import TrunkingClient
from protocols.aio.server import Connection, TrunkingServer
from protocols.codec import encode
from protocols.messages import Error, FloorRequest, Hello, Notification, Ok, Request, Welcome

ROOT = Path(__file__).resolve().parents[1]
SECTION = "Protocol: request round trip"
CONCURRENCY = 16
#: What the platform answers to a granted floor request (the size of a real answer).
ANSWER_RESULT = {"call": "call-318", "outcome": "granted", "position": 0, "limit_ms": 120000}


# ----- the child process: a platform that answers at once, and a bare echo ---------------------


class InstantPlatform:
    """Accepts everyone and grants every request immediately: only the protocol's cost is left."""

    epoch = 7
    instance = "bench"

    async def on_hello(self, conn: Connection, hello: Hello) -> Welcome | Error:
        return Welcome(version=1, session="bench", resume_token="bench", instance=self.instance,
                       role="active", heartbeat_ms=0, loss_threshold=0)

    def answer_now(self, conn: Connection, request: Request) -> Ok | Error | None:

        return None  # every request through on_request


    async def on_request(self, conn: Connection, request: Request) -> Ok | Error:
        return Ok(result=ANSWER_RESULT)

    def on_notification(self, conn: Connection, message: Notification) -> None:
        pass

    def on_disconnect(self, conn: Connection, code: int | None) -> None:
        pass


async def serve_forever() -> None:
    """Child process: serve TDP/1 and a bare echo on loopback, print both ports, run until stdin closes."""
    server = TrunkingServer(InstantPlatform())
    await server.start()
    answer = encode(Ok(epoch=7, re=1, result=ANSWER_RESULT))

    async def echo(ws: ServerConnection) -> None:
        async for _ in ws:
            await ws.send(answer, text=True)

    async with serve(echo, "127.0.0.1", 0, max_size=2**16, compression=None, ping_interval=None) as bare:
        bare_port = next(iter(bare.sockets)).getsockname()[1]
        print(f"READY {server.port} {bare_port}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.stop()


# ----- the client side -------------------------------------------------------------------------


def request(n: int) -> FloorRequest:
    return FloorRequest(id=0, key=f"desk-1:{n}", group="line-dispatch", priority="dispatcher")


async def tdp_sequential(client: TrunkingClient, n: int) -> list[float]:
    latencies = []
    for i in range(n):
        start = time.perf_counter()
        await client.request(request(i))
        latencies.append(time.perf_counter() - start)
    return latencies


async def tdp_concurrent(client: TrunkingClient, n: int) -> float:
    """Requests per second with CONCURRENCY requests in flight on one connection."""
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            await client.request(request(i))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return n / (time.perf_counter() - start)


async def bare_sequential(ws: ClientConnection, n: int) -> list[float]:
    frames = [encode(request(i)) for i in range(n)]
    latencies = []
    for frame in frames:
        start = time.perf_counter()
        await ws.send(frame, text=True)
        await ws.recv(decode=False)
        latencies.append(time.perf_counter() - start)
    return latencies


async def bare_concurrent(ws: ClientConnection, n: int) -> float:
    """Frames per second with CONCURRENCY frames in flight (a window; the echo answers in order)."""
    frames = [encode(request(i)) for i in range(n)]
    window = asyncio.Semaphore(CONCURRENCY)

    async def send_all() -> None:
        for frame in frames:
            await window.acquire()
            await ws.send(frame, text=True)

    async def receive_all() -> None:
        for _ in frames:
            await ws.recv(decode=False)
            window.release()

    start = time.perf_counter()
    await asyncio.gather(send_all(), receive_all())
    return n / (time.perf_counter() - start)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(n: int, rounds: int) -> dict[str, float]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.bench_roundtrip", "--serve",
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        ready = await asyncio.wait_for(child.stdout.readline(), 30)
        _, tdp_port, bare_port = ready.decode().split()
        client = await TrunkingClient.connect(
            f"ws://127.0.0.1:{tdp_port}", Hello(id=0, versions=[1], role="console", ident="desk-1")
        )
        bare = await ws_connect(f"ws://127.0.0.1:{bare_port}", compression=None, ping_interval=None)
        await tdp_sequential(client, min(n, 500))  # warm up both paths
        await bare_sequential(bare, min(n, 500))
        tdp_lat: list[float] = []
        bare_lat: list[float] = []
        tdp_rates: list[float] = []
        bare_rates: list[float] = []
        for _ in range(rounds):  # interleaved, so both see the same load from the rest of the machine
            tdp_lat += await tdp_sequential(client, n // rounds)
            bare_lat += await bare_sequential(bare, n // rounds)
            tdp_rates.append(await tdp_concurrent(client, n // rounds))
            bare_rates.append(await bare_concurrent(bare, n // rounds))
        await client.close()
        await bare.close()
    finally:
        if child.stdin is not None:
            child.stdin.close()
        await asyncio.wait_for(child.wait(), 10)
    return {
        "tdp p50": percentile(tdp_lat, 0.50), "tdp p99": percentile(tdp_lat, 0.99),
        "tdp mean": statistics.fmean(tdp_lat), "tdp rate": max(tdp_rates),
        "bare p50": percentile(bare_lat, 0.50), "bare p99": percentile(bare_lat, 0.99),
        "bare mean": statistics.fmean(bare_lat), "bare rate": max(bare_rates),
        "n": float(len(tdp_lat)),
    }


def report_lines(r: dict[str, float], rounds: int) -> list[str]:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.3f}"

    return [
        f"{int(r['n']):,} sequential requests (`FloorRequest` with an idempotency key, answered by an `Ok` "
        f"like a floor grant) from a `TrunkingClient` to a `TrunkingServer` in another process over "
        f"ws://127.0.0.1, then the same count with {CONCURRENCY} in flight on one connection; {rounds} "
        "rounds interleaved with the baseline: the same frames echoed by bare websockets (no session "
        "machines, no correlation, no heartbeats).",
        "",
        f"**Sequential round trip p50 {ms(r['tdp p50'])} ms, p99 {ms(r['tdp p99'])} ms; "
        f"{r['tdp rate']:,.0f} requests/s with {CONCURRENCY} concurrent.**",
        "",
        "| | TDP/1 (TrunkingClient, TrunkingServer) | bare websockets echo | TDP/1 / bare |",
        "| --- | ---: | ---: | ---: |",
        f"| sequential p50 (ms) | {ms(r['tdp p50'])} | {ms(r['bare p50'])} | "
        f"{r['tdp p50'] / r['bare p50']:.2f}x |",
        f"| sequential p99 (ms) | {ms(r['tdp p99'])} | {ms(r['bare p99'])} | "
        f"{r['tdp p99'] / r['bare p99']:.2f}x |",
        f"| sequential mean (ms) | {ms(r['tdp mean'])} | {ms(r['bare mean'])} | "
        f"{r['tdp mean'] / r['bare mean']:.2f}x |",
        f"| {CONCURRENCY} in flight, per second (best round) | {r['tdp rate']:,.0f} | {r['bare rate']:,.0f} | "
        f"{r['tdp rate'] / r['bare rate']:.2f}x |",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=5000, help="requests per measurement (default 5000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run; records nothing")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(serve_forever())
        return 0
    n, rounds = (200, 2) if args.quick else (args.requests, args.rounds)
    result = asyncio.run(measure(n, rounds))
    lines = report_lines(result, rounds)
    print("\n".join(lines))
    if not args.quick:
        try:
            from bench._report import record
        except ImportError:  # the report helper is another bench's; results are printed above anyway
            print("\nbench._report not available: nothing recorded")
            return 0
        record(SECTION, lines)
        print("\nrecorded in docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

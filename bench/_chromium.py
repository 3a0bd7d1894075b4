"""Headless Chromium receiving the media benchmark's clips: the browser a user might pick instead of the desk.

A bench-only relay process serves a minimal page on 127.0.0.1 and answers its WebRTC offers with `VideoSender`s
of the same pre-encoded clips the desk receives (not through the platform); the page renders each feed in a
``<video>`` and reports every feed's decoded-frame count each second. `measure_chromium` starts both, waits for
every feed to decode, and measures the CPU of all of Chromium's processes over a window.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import multiprocessing
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from bench._procs import cpu_of, descendants, receive

__all__ = ["BrowserResult", "measure_chromium"]

LOOPBACK = ("127.0.0.1",)
#: seconds after every feed decodes before the window is measured
WARMUP = 5.0

PAGE = """<!doctype html><html><body><script>
const ws = new WebSocket("ws://" + location.host + "/ws");
const pcs = [];
async function pull(feed) {
  const pc = new RTCPeerConnection();
  pcs.push(pc);
  pc.addTransceiver("video", {direction: "recvonly"});
  pc.ontrack = (e) => { const v = document.createElement("video"); v.muted = true; v.autoplay = true;
    v.width = 160; v.height = 90; v.srcObject = new MediaStream([e.track]); document.body.appendChild(v); v.play(); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((ok) => { if (pc.iceGatheringState === "complete") ok();
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === "complete") ok(); }; });
  ws.send(JSON.stringify({offer: feed, sdp: pc.localDescription.sdp}));
}
ws.onmessage = async (m) => {
  const msg = JSON.parse(m.data);
  if (msg.feeds !== undefined) { for (let i = 0; i < msg.feeds; i++) await pull(i); }
  if (msg.answer !== undefined) await pcs[msg.answer].setRemoteDescription({type: "answer", sdp: msg.sdp});
};
setInterval(async () => {
  const decoded = [];
  for (const pc of pcs) { let n = 0; (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") n = s.framesDecoded || 0; }); decoded.push(n); }
  if (ws.readyState === 1) ws.send(JSON.stringify({decoded: decoded}));
}, 1000);
</script></body></html>"""


def run_relay(clips: list[str], conn: Connection) -> None:
    """Entry of the relay process: serve the page and answer its offers with `VideoSender`s."""
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_relay(clips, conn))


async def _relay(clips: list[str], conn: Connection) -> None:
    from http import HTTPStatus

    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed
    from websockets.http11 import Request, Response

    from media.sender import VideoSender

    senders: list[VideoSender] = []
    decoded: list[tuple[float, list[int]]] = []

    def page(connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/ws":
            return None
        response = connection.respond(HTTPStatus.OK, PAGE)
        response.headers["Content-Type"] = "text/html"
        return response

    async def handler(ws: ServerConnection) -> None:
        await ws.send(json.dumps({"feeds": len(clips)}))
        with contextlib.suppress(ConnectionClosed):
            await read(ws)

    async def read(ws: ServerConnection) -> None:
        async for text in ws:
            message = json.loads(text)
            if "offer" in message:
                sender = VideoSender(clips[message["offer"]], allowed_addresses=LOOPBACK,
                                     name=f"chromium-{len(senders)}")
                senders.append(sender)
                await ws.send(json.dumps({"answer": message["offer"], "sdp": await sender.answer(message["sdp"])}))
            elif "decoded" in message:
                decoded.append((time.monotonic(), message["decoded"]))
                del decoded[:-300]

    async with serve(handler, "127.0.0.1", 0, process_request=page) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        conn.send(("ready", f"http://127.0.0.1:{port}/"))
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command[0] == "decoded":
                conn.send(("decoded", decoded[-1] if decoded else (time.monotonic(), [])))
            elif command[0] == "stop":
                break
        for sender in senders:
            with contextlib.suppress(Exception):
                await sender.close()
    conn.send(("stopped",))


CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required", "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding", "--mute-audio",
    "--proxy-server=127.0.0.1:9",  # a dead proxy: loopback bypasses it, nothing else gets out
)


@dataclass
class BrowserResult:
    cpu: float = math.nan
    rates: list[float] = field(default_factory=list)
    processes: int = 0
    note: str = ""


def measure_chromium(clips: list[str], seconds: float, folder: Path) -> BrowserResult:
    """Chromium receiving every clip: its CPU (all its processes) and each feed's decoded frame rate."""
    binary = shutil.which("chromium")
    if binary is None:
        return BrowserResult(note="chromium is not installed")
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    relay = context.Process(target=run_relay, args=(clips, theirs), name="bench-relay")
    relay.start()
    browser: subprocess.Popen[bytes] | None = None
    try:
        url = receive(ours, 30, "the relay")[1]
        profile = folder / "chromium-profile"
        browser = subprocess.Popen([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
                                   stdout=subprocess.DEVNULL, stderr=(folder / "chromium.log").open("wb"),
                                   start_new_session=True)
        deadline = time.monotonic() + 60
        while True:  # every feed decoding
            time.sleep(1.0)
            ours.send(("decoded",))
            _, counts = receive(ours, 10, "Chromium's stats")[1]
            if len(counts) == len(clips) and all(n > 0 for n in counts):
                break
            if time.monotonic() > deadline:
                return BrowserResult(note=f"not every feed decoded in Chromium within 60 s ({counts})")
        time.sleep(WARMUP)
        ours.send(("decoded",))
        t0, first = receive(ours, 10, "Chromium's stats")[1]
        pids = descendants(browser.pid)
        cpu = cpu_of(lambda: descendants(browser.pid) if browser else [], seconds)
        ours.send(("decoded",))
        t1, last = receive(ours, 10, "Chromium's stats")[1]
        rates = [(b - a) / (t1 - t0) for a, b in zip(first, last, strict=True)]
        return BrowserResult(cpu=cpu, rates=rates, processes=len(pids))
    finally:
        if browser is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGTERM)
            try:
                browser.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(browser.pid, signal.SIGKILL)
                browser.wait(5)
        with contextlib.suppress(OSError, BrokenPipeError):
            ours.send(("stop",))
        relay.join(15)
        if relay.is_alive():
            relay.kill()
            relay.join(5)

"""Where a media worker's CPU goes: py-spy samples of its two busy threads, grouped by what the code does.

Used by bench_media after its measurement window (so that the sampling does not weigh on the window's CPU
figures). py-spy is not a dependency of the project: when it is not installed (``.venv/bin/pip install py-spy``)
the report says so. Samples are taken without stopping the process (``--nonblocking``), on every thread; a
sample counts for the first group (in the order of `LOOP_GROUPS` / `DECODE_GROUPS`) one of whose markers occurs
in its stack. Each group's share of its thread's busy samples is turned into a share of one core with the
thread's CPU time over the same seconds (/proc), so the figures add up to what the thread really spent.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._procs import cpu_seconds

__all__ = ["DECODE_GROUPS", "LOOP_GROUPS", "profile_lines", "py_spy"]

#: the event-loop thread's groups: (name, markers in a sample's stack)
LOOP_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("desk's commands (stats each second)", ("MediaWorker._handle", "MediaWorker._readable", "ReceiveSession.stats")),
    ("SRTP decryption (libsrtp)", ("pylibsrtp",)),
    ("hand-off to the decode thread", ("media/decode.py",)),
    ("video path's calls to Python (frames handed on, NACK, PLI, new source)", ("fast_video.py",)),
    ("RTCP sent (receiver reports, NACK, PLI)", ("_send_rtcp", "_run_rtcp")),
    ("RTP receiver (parse, stats, NACK, depacketize, jitter buffer)",
     ("rtcrtpreceiver.py", "jitterbuffer.py", "codecs/h264.py", "aiortc/rtp.py", "aiortc/rate.py")),
    ("DTLS transport (routing, RTCP in)", ("rtcdtlstransport.py",)),
    ("ICE (aioice: STUN, datagram queue)", ("aioice/",)),
    ("event loop and the rest", ("",)),
)
#: the decode thread's groups
DECODE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("H.264 decoding (FFmpeg through PyAV)", ("H264Decoder.decode", "Vp8Decoder.decode", "InlineDecoder._decode_h264")),
    ("tile writes (copy into shared memory)", ("FrameWall.write",)),
    ("counters and glue", ("",)),
)
#: a sample whose innermost frame is one of these is a thread waiting, not working
_IDLE = ("EpollSelector.select", "select (selectors.py", "Runner.run (asyncio", "run (uvloop", "DecodeThread._run",
         "Queue.get (queue.py", "Condition.wait", "Event.wait (threading")


def py_spy() -> str | None:
    """The py-spy executable next to this Python (the venv's), or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _group(stack: str, groups: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    for name, markers in groups:
        if any(marker in stack for marker in markers):
            return name
    return groups[-1][0]


def profile_lines(pid: int, name: str, seconds: float = 20.0, rate: int = 100) -> list[str]:
    """Markdown lines: where worker ``pid`` (called ``name``) spent its event-loop and decode threads' CPU over
    ``seconds``."""
    spy = py_spy()
    if spy is None:
        return ["- profile: not taken (py-spy is not installed: `.venv/bin/pip install py-spy`)"]
    tasks = Path(f"/proc/{pid}/task")
    before = {int(t.name): cpu_seconds(pid, str(t / "stat")) for t in tasks.iterdir()}
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder:
        out = Path(folder) / "samples.txt"
        done = subprocess.run([spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", str(rate),
                               "--format", "raw", "--threads", "--nonblocking", "--output", str(out)],
                              capture_output=True, text=True, timeout=seconds + 60, check=False)
        if done.returncode != 0 or not out.exists():
            return [f"- profile: py-spy failed ({done.stderr.strip().splitlines()[-1:]})"]
        samples = out.read_text().splitlines()
    spent = time.monotonic() - began
    after = {int(t.name): cpu_seconds(pid, str(t / "stat")) for t in tasks.iterdir()}
    busy: dict[str, collections.Counter[str]] = {"loop": collections.Counter(), "decode": collections.Counter()}
    threads: dict[str, set[int]] = {"loop": set(), "decode": set()}
    for line in samples:
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not frames or not count.isdigit():
            continue
        tid = frames[0].partition("(")[2].partition(")")[0]  # "thread (1234): name"
        which = "loop" if tid == str(pid) else "decode" if "DecodeThread._run" in stack else ""
        if not which or not tid.isdigit():
            continue
        threads[which].add(int(tid))
        if frames[-1].startswith(_IDLE):
            continue
        busy[which][_group(stack, LOOP_GROUPS if which == "loop" else DECODE_GROUPS)] += int(count)
    lines = [f"- profile of {name} (py-spy {int(seconds)} s at {rate} Hz after the window, "
             "without stopping it; share of one core):"]
    for which, title in (("loop", "event-loop thread"), ("decode", "decode thread")):
        cpu = sum(after.get(t, 0.0) - before.get(t, 0.0) for t in threads[which]) / spent
        total = sum(busy[which].values())
        if not total:
            lines.append(f"  - {title}: no busy samples")
            continue
        parts = ", ".join(f"{name} {cpu * n / total:.1%}" for name, n in busy[which].most_common())
        lines.append(f"  - {title} {cpu:.1%}: {parts}")
    lines.append("  - (the compiled video path, media/_rtpcore.c, runs in C inside uvloop's callbacks, where py-spy "
                 "sees the loop waiting: its time is in the event-loop thread's total, spread over the groups above)")
    return lines

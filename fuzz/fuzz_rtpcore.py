"""Coverage-guided fuzzing of the compiled video receive path (media/_rtpcore.c) against its Python reference.

The invariant: for any packets, the compiled `Assembler` hands out the same frames, asks again for the same sequence
numbers and counts the same as `media.rtp_video.H264Assembler`; the compiled `parse_rtp` answers as the Python one;
`VideoPath` takes any datagram, protected with SRTP or not, without crashing, and holds a bounded number of packets.
The hypothesis tests in tests/media/test_rtpcore.py check the same in CI; this harness is for long runs.

An input is read as packets, each ``sequence (2 bytes) | timestamp (4) | flags (1) | length (1) | payload``: flag
bit 0 is the marker, bits 1-3 how far time moves on (0 to 280 ms), bit 4 sends the record also as an SRTP datagram
through a `VideoPath`, bit 5 resets both assemblers first.

atheris is not a dependency of the project. To run (Linux, CPython 3.11, from the repository root):

    .venv/bin/pip install atheris
    mkdir -p fuzz/corpus/rtpcore
    .venv/bin/python fuzz/fuzz_rtpcore.py --seed-corpus fuzz/corpus/rtpcore
    .venv/bin/python fuzz/fuzz_rtpcore.py fuzz/corpus/rtpcore -max_total_time=600

Coverage feedback comes from the Python reference (atheris instruments Python). For the C side's memory errors,
replay the corpus a run grew, and run the hypothesis tests, on an extension built with AddressSanitizer (ASan's
runtime takes over the coverage hooks atheris's libFuzzer uses, so fuzzing itself runs on the normal build):

    CFLAGS="-fsanitize=address -fno-omit-frame-pointer -g" .venv/bin/python setup.py build_ext --inplace --force
    export LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0
    .venv/bin/python fuzz/fuzz_rtpcore.py fuzz/corpus/rtpcore -runs=0     # every input once
    .venv/bin/pytest -p no:cacheprovider tests/media/test_rtpcore.py --hypothesis-seed=1
    unset LD_PRELOAD; .venv/bin/python setup.py build_ext --inplace --force   # the normal build again

A failure is written to ``crash-<sha1>``; replay it by passing the file (``.venv/bin/python fuzz/fuzz_rtpcore.py
crash-...``, with or without atheris). Turn it into an example in tests/media/test_rtpcore.py before fixing it.
Session 5: 551,179 inputs in 4 minutes on the normal build (corpus of 258), then that corpus and four hypothesis
seeds of tests/media/test_rtpcore.py under AddressSanitizer: no disagreement, no memory error.
"""

from __future__ import annotations

import contextlib
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, when run as a file

try:
    import atheris
except ImportError:  # replay mode still works
    atheris = None

if atheris is not None:
    with atheris.instrument_imports():
        from media.rtp_video import H264Assembler, RtpError, parse_rtp
else:
    from media.rtp_video import H264Assembler, RtpError, parse_rtp

import pylibsrtp

from media import _rtpcore  # type: ignore[attr-defined]
from media.fast_video import _srtp_pointers

RECORD = struct.Struct("!HIBB")
KEY = bytes(range(30))
H264, RTX = 102, 103


class _Owner:
    def __init__(self) -> None:
        self._rx_srtp = pylibsrtp.Session(pylibsrtp.Policy(key=KEY, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND))


class _Decoder:
    ended = False


def _nothing(*_: object) -> None:
    return None


def records(data: bytes) -> list[tuple[int, int, int, bytes]]:
    out, at = [], 0
    while at + RECORD.size <= len(data):
        sequence, timestamp, flags, length = RECORD.unpack_from(data, at)
        at += RECORD.size
        out.append((sequence, timestamp, flags, data[at:at + length]))
        at += length
    return out


def test_one_input(data: bytes) -> None:
    python, compiled = H264Assembler(max_packets=64), _rtpcore.Assembler(max_packets=64)
    frames: list[tuple[bytes, int]] = []
    path = _rtpcore.VideoPath(_Owner(), _Decoder(), lambda: ([H264], [RTX]), _srtp_pointers,
                              lambda d, p: frames.append((d, p)), _nothing, _nothing, _nothing, _nothing)
    policy = pylibsrtp.Policy(key=KEY, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    policy.allow_repeat_tx = True
    sender = pylibsrtp.Session(policy)
    now = 0.0
    for sequence, timestamp, flags, payload in records(data):
        marker = bool(flags & 1)
        if flags & 0x20:
            python.reset()
            compiled.reset()
        expected = [(f.data, f.pts, f.keyframe) for f in python.packet(sequence, timestamp, marker, payload, now)]
        assert compiled.packet(sequence, timestamp, marker, payload, now) == expected, (sequence, now)
        assert sorted(compiled.take_nacks()) == sorted(python.take_nacks()), (sequence, now)
        for name in ("received", "duplicates", "late", "malformed", "lost", "nacked", "recovered", "frames",
                     "dropped_frames", "resets", "waiting", "want_keyframe"):
            assert getattr(compiled, name) == getattr(python, name), (name, sequence, now)
        now += ((flags >> 1) & 7) * 0.04
        datagram = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | (RTX if flags & 0x40 else H264), sequence,
                               timestamp, 0x1234 + (flags >> 7)) + payload
        if flags & 0x10:
            with contextlib.suppress(pylibsrtp.Error):  # what libsrtp will not protect goes as it is
                datagram = sender.protect(datagram)
        assert path.packet(datagram) in (True, False)
        assert path.waiting <= 2048
        assert path.packet(payload) in (True, False)  # the raw bytes, as any datagram
        try:
            header = parse_rtp(payload)
        except RtpError:
            try:
                _rtpcore.parse_rtp(payload)
            except ValueError:
                continue
            raise AssertionError("the compiled parse_rtp took what the Python one refused") from None
        assert _rtpcore.parse_rtp(payload) == (header.payload_type, header.marker, header.sequence,
                                               header.timestamp, header.ssrc, header.start, header.end)


def seeds() -> list[bytes]:
    """A few streams to start from: whole frames, FU-A fragments with a loss, a STAP-A keyframe, padding."""
    def record(sequence: int, timestamp: int, flags: int, payload: bytes) -> bytes:
        return RECORD.pack(sequence, timestamp, flags, len(payload)) + payload

    idr, fu_start, fu_mid, fu_end = b"\x65" + bytes(20), b"\x7c\x85" + bytes(30), b"\x7c\x05" + bytes(30), \
        b"\x7c\x45" + bytes(30)
    stap = b"\x18" + struct.pack("!H", 3) + b"\x67\x42\x00" + struct.pack("!H", 2) + b"\x68\xce"
    return [
        b"".join(record(n, n * 3600, 0x13, idr) for n in range(5)),
        record(65534, 0, 0x10, fu_start) + record(0, 0, 0x12, fu_end) + record(65535, 0, 0x14, fu_mid),
        record(7, 100, 0x10, stap) + record(8, 100, 0x11, idr) + record(9, 3700, 0x01, b""),
        record(1, 0, 0x0F, fu_start) + record(900, 0, 0x2F, fu_mid) + record(1800, 0, 0x4F, b"\x00\x01"),
    ]


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--seed-corpus":
        folder = Path(sys.argv[2])
        folder.mkdir(parents=True, exist_ok=True)
        for number, seed in enumerate(seeds()):
            (folder / f"seed-{number:02d}.bin").write_bytes(seed)
        sys.stdout.write(f"wrote {len(seeds())} seeds to {folder}\n")
        return 0
    if atheris is None:
        if len(sys.argv) > 1 and all(Path(arg).exists() for arg in sys.argv[1:]):
            files = [f for arg in sys.argv[1:] for f in (sorted(Path(arg).iterdir()) if Path(arg).is_dir()
                                                         else [Path(arg)])]
            for path in files:
                test_one_input(path.read_bytes())
            sys.stdout.write(f"{len(files)} inputs replayed, the compiled path agreed\n")
            return 0
        sys.stderr.write("atheris is not installed: `.venv/bin/pip install atheris` (see this file's docstring); "
                         "without it, pass input files or folders to replay them\n")
        return 2
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())

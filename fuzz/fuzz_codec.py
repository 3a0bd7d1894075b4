"""Coverage-guided fuzzing of the TDP/1 codec with atheris (libFuzzer for Python).

The invariant is the codec's contract: ``decode`` returns a `Message` or raises `ProtocolError`
(codes 400, 413 or 415), nothing else, for any input, bytes or str; and an accepted message encodes
and decodes back to itself. The hypothesis properties in tests/protocols/test_codec_fuzz.py check the
same invariant in CI; this harness is for long runs that let coverage feedback find deeper paths.

atheris is not a dependency of the project. To run (Linux, CPython 3.11, from the repository root):

    .venv/bin/pip install atheris
    mkdir -p fuzz/corpus/codec
    .venv/bin/python fuzz/fuzz_codec.py --seed-corpus fuzz/corpus/codec   # valid messages to start from
    .venv/bin/python fuzz/fuzz_codec.py fuzz/corpus/codec -max_total_time=600 -max_len=70000

libFuzzer flags go after the corpus directory (``-jobs=2 -workers=2`` for both cores,
``-dict=...``, ``-timeout=5``). A crash is written to ``crash-<sha1>``; replay it, with or without
atheris installed, by passing the file: ``.venv/bin/python fuzz/fuzz_codec.py crash-<sha1>``.
Turn a crash into a regression example in tests/protocols/test_codec.py before fixing it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, when run as a file

try:
    import atheris
except ImportError:  # replay mode still works
    atheris = None

if atheris is not None:
    with atheris.instrument_imports():
        from protocols.codec import ProtocolError, decode, encode
        from protocols.constants import ErrorCode
        from protocols.messages import Message
else:
    from protocols.codec import ProtocolError, decode, encode
    from protocols.constants import ErrorCode
    from protocols.messages import Message

CODEC_CODES = frozenset({ErrorCode.BAD_MESSAGE, ErrorCode.TOO_LARGE, ErrorCode.UNKNOWN_TYPE})

#: Seeds: one of each shape a peer sends, valid and slightly wrong, written by --seed-corpus.
SEEDS: tuple[bytes, ...] = (
    b'{"t":"hello","id":1,"versions":[1],"role":"console","ident":"desk-1","secret":"s"}',
    b'{"t":"welcome","re":1,"version":1,"session":"s1","resume_token":"r","instance":"A","role":"active",'
    b'"heartbeat_ms":250,"loss_threshold":3}',
    b'{"t":"floor.request","epoch":3,"id":7,"key":"k7","call":"c1","priority":"dispatcher"}',
    b'{"t":"ok","re":7,"result":{"call":"c1","outcome":"granted","position":0,"limit_ms":null}}',
    b'{"t":"error","re":7,"code":409,"reason":"floor_denied: busy"}',
    b'{"t":"location.report","location":{"station":"S05","next_station":"S06","chainage_m":1234.5,'
    b'"direction":"up","train_number":"0512"},"fix_ms":1700000000000}',
    b'{"t":"presence","terminal":{"id":"T1","kind":"train","name_zh":"\xe5\x88\x97\xe8\xbd\xa6",'
    b'"presence":"busy","groups":["g1"],"location":{"station":"S01"}}}',
    b'{"t":"snapshot","calls":[{"id":"c1","kind":"group","queue":[{"party":"h1","priority":"normal",'
    b'"position":1}]}]}',
    b'{"t":"text.send","id":9,"text":"\xe6\xb3\xa8\xe6\x84\x8f","group":"g1"}',
    b'{"t":"media.offer","session":"m1","sdp":"v=0\\r\\no=- 0 0 IN IP4 127.0.0.1\\r\\n"}',
    b'{"t":"ping","seq":1}',
    b'{"t":"floor.grab","id":12}',
    b'{"t":"ping","seq":"x","id":"\xc0\xaf"}',
)


def check(data: bytes | str) -> None:
    """Fail (raise AssertionError or let a foreign exception escape) if the codec breaks its contract."""
    try:
        message = decode(data)
    except ProtocolError as error:
        assert error.code in CODEC_CODES, error
        assert error.re is None or (type(error.re) is int and error.re > 0), error
        return
    assert isinstance(message, Message), message
    try:
        again = encode(message)
    except ProtocolError as error:  # only growth past the byte limit on re-encoding
        assert error.code is ErrorCode.TOO_LARGE, error
        return
    assert decode(again) == message, (data, again)


def test_one_input(data: bytes) -> None:
    """libFuzzer entry: the input as bytes, and (when it is valid UTF-8 or not) as a str text frame."""
    check(data)
    check(data.decode("utf-8", "surrogateescape"))  # str input, lone surrogates included


def write_seed_corpus(folder: Path) -> None:
    """Write the seeds as files, one input each, for libFuzzer to start from."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, seed in enumerate(SEEDS):
        (folder / f"seed-{number:02d}.json").write_bytes(seed)
    sys.stdout.write(f"wrote {len(SEEDS)} seeds to {folder}\n")


def replay(paths: list[str]) -> int:
    """Run the check over saved inputs (crash files, a corpus) without atheris."""
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        files.extend(sorted(path.iterdir()) if path.is_dir() else [path])
    for path in files:
        test_one_input(path.read_bytes())
    sys.stdout.write(f"{len(files)} inputs replayed, contract held\n")
    return 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--seed-corpus":
        write_seed_corpus(Path(sys.argv[2]))
        return 0
    if atheris is None:
        if len(sys.argv) > 1 and all(Path(arg).exists() for arg in sys.argv[1:]):
            return replay(sys.argv[1:])
        sys.stderr.write("atheris is not installed: `.venv/bin/pip install atheris` (see this file's "
                         "docstring); without it, pass input files or folders to replay them\n")
        return 2
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())

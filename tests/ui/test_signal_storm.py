"""Regression test for the PySide6 pin: 6.12.0 on Python 3.11 corrupts reference counts on every signal emit
and aborts the process after a few thousand emits. 6.11.3 must survive tens of thousands with payloads."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from PySide6.QtCore import QObject, Qt, Signal, Slot

EMITS = 20_000


class Sender(QObject):
    update = Signal(str, object, list)


class Receiver(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.last: tuple[str, object, list[str]] | None = None

    @Slot(str, object, list)
    def take(self, name: str, payload: object, ids: list[str]) -> None:
        self.count += 1
        self.last = (name, payload, ids)


def test_many_direct_emits_keep_payload_refcounts(qapp: object) -> None:
    sender, receiver = Sender(), Receiver()
    sender.update.connect(receiver.take)
    payload = {"terminal": "TR-01", "presence": "registered"}
    ids = ["TR-01", "TR-02"]
    before = sys.getrefcount(payload)
    for i in range(EMITS):
        sender.update.emit(f"call-{i}", payload, ids)
    assert receiver.count == EMITS
    assert receiver.last is not None and receiver.last[0] == f"call-{EMITS - 1}"
    receiver.last = None
    # a leak or an over-release of one reference per emit shows up as thousands here
    assert abs(sys.getrefcount(payload) - before) <= 2


def test_many_queued_emits_are_all_delivered(qapp: object, qtbot: object) -> None:
    sender, receiver = Sender(), Receiver()
    sender.update.connect(receiver.take, Qt.ConnectionType.QueuedConnection)
    for i in range(EMITS):
        sender.update.emit(str(i), {"seq": i}, [str(i)])
    qtbot.waitUntil(lambda: receiver.count == EMITS, timeout=20_000)  # type: ignore[attr-defined]
    assert receiver.last is not None and receiver.last[1] == {"seq": EMITS - 1}


def test_a_fresh_process_survives_a_signal_storm() -> None:
    """The abort kills the whole process: run the storm in a child so a regression fails this test, not the run."""
    script = textwrap.dedent(f"""
        import os
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QCoreApplication, QObject, Signal
        app = QCoreApplication([])
        class S(QObject):
            sig = Signal(str, object, list)
        got = []
        s = S()
        s.sig.connect(lambda name, payload, ids: got.append(payload["n"]))
        for n in range({EMITS * 2}):
            s.sig.emit("x", {{"n": n}}, ["a", "b"])
        print(len(got), sum(got))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"the process died (exit {done.returncode}): {done.stderr[-2000:]}"
    count, total = map(int, done.stdout.split())
    assert count == EMITS * 2
    assert total == sum(range(EMITS * 2))

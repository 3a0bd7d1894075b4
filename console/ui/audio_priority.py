"""The threads that feed the loudspeaker, at a higher scheduling priority where the system allows it (Linux).

Why: on a busy machine the loudspeaker's delay is not a queue that grows (every buffer on the way is bounded:
docs/architecture.md, "the loudspeaker's tail") but the threads that move the sound waiting to run. Measured with
three processes spinning on the two cores of the reference machine: the desk's audio thread went up to a second
without running, Qt's PulseAudio thread likewise, and a talker's first syllable came out that much later. At nice
-11 (what PulseAudio gives its own threads) the longest gap was about 110 ms.

Which threads: the desk's audio thread (console/ui/sound.py: it runs the `QAudioSink` and reads the playout ring)
and Qt's PulseAudio threads (libpulse's threaded main loop, named ``QPulseAudioEngine``, which moves Qt's ring into
the server's stream); their ids come from ``/proc/self/task``. The mixer on the event loop stays at the desk's
priority: it does the heavy work, and the playout ring absorbs its lateness.

How: ``setpriority(PRIO_PROCESS, thread id)``, per thread on Linux. Lowering a nice value needs ``CAP_SYS_NICE`` or
an ``RLIMIT_NICE`` that allows it (``/etc/security/limits.conf``: ``@audio - nice -11`` for the dispatchers' group);
otherwise the threads keep the normal priority and the diagnostics say so. RealtimeKit (the D-Bus service desktops
use to grant this) is not asked.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = ["NICE", "audio_threads", "raise_priority", "renice"]

#: the nice value asked for the audio threads (PulseAudio's own)
NICE = -11
#: name prefixes (``/proc/<pid>/task/<tid>/comm``, 15 characters at most) of Qt's PulseAudio threads
QT_AUDIO_THREADS = ("QPulseAudio",)


def audio_threads(audio_thread: int) -> list[int]:
    """``audio_thread`` and Qt's PulseAudio threads in this process (ids as ``threading.get_native_id`` gives)."""
    found = [audio_thread]
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():
        return found
    for task in tasks.iterdir():
        try:
            name = (task / "comm").read_text().strip()
        except OSError:  # the thread ended meanwhile
            continue
        if name.startswith(QT_AUDIO_THREADS) and int(task.name) not in found:
            found.append(int(task.name))
    return found


def renice(threads: list[int], nice: int) -> int:
    """Set ``threads``' nice value; how many were set (a thread that ended is skipped). PermissionError when refused."""
    done = 0
    for thread in threads:
        try:
            os.setpriority(os.PRIO_PROCESS, thread, nice)
        except ProcessLookupError:
            continue
        done += 1
    return done


def _lowest_allowed() -> int:
    """The lowest nice value RLIMIT_NICE lets this process set without privileges (20 - limit)."""
    import resource  # Unix only

    soft, _ = resource.getrlimit(resource.RLIMIT_NICE)
    return -20 if soft == resource.RLIM_INFINITY else 20 - int(soft)


def raise_priority(audio_thread: int) -> str:
    """Raise the audio threads (see the module docstring) as far as allowed, up to `NICE`; what they got, in English
    for diagnostics."""
    if not sys.platform.startswith("linux"):
        return "normal priority (raised on Linux only)"
    threads = audio_threads(audio_thread)
    for nice in dict.fromkeys((NICE, max(NICE, _lowest_allowed()))):
        if nice >= 0:
            break
        try:
            count = renice(threads, nice)
        except PermissionError:
            continue
        logger.info("audio threads at nice %d (%d threads)", nice, count)
        return f"nice {nice} (the audio thread and {count - 1} of Qt's PulseAudio threads)"
    logger.info("audio threads at normal priority: lowering their nice value was refused")
    return (f"normal priority: nice {NICE} was refused (needs CAP_SYS_NICE or RLIMIT_NICE, limits.conf "
            f"'nice {NICE}'); a busy machine delays the loudspeaker more")

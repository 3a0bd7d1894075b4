"""Which sound devices the PulseAudio server has now, asked of libpulse directly (ctypes): what Qt's list misses.

QtMultimedia 6.11's PulseAudio backend notices a device plugged in but not one unplugged: its list (and
`QMediaDevices`' signals) keeps the device until some other device changes, while PulseAudio has already moved the
desk's stream to the default device. So the desk would go on showing a headset that is gone, with no warning.
`pulse_device_names` connects to the server the way every pulse client does (``PULSE_SERVER``, the user's runtime
folder), lists the sinks and sources by name (the ids Qt gives its devices) and disconnects: a few milliseconds on
the local socket. `DeskAudio` asks it every couple of seconds and trusts Qt's list where it cannot (no libpulse, no
server: PipeWire's own backend, another platform), so nothing here is needed for the desk to run.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["pulse_device_names"]

_lib: ctypes.CDLL | None = None
_loaded = False

# pa_context_state_t
_READY, _FAILED, _TERMINATED = 4, 5, 6


class _Info(ctypes.Structure):
    """The first fields of pa_sink_info and pa_source_info (the rest is never read, only pointed at)."""

    _fields_ = [("name", ctypes.c_char_p), ("index", ctypes.c_uint32), ("description", ctypes.c_char_p)]


_LIST_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(_Info), ctypes.c_int, ctypes.c_void_p)


def _libpulse() -> ctypes.CDLL | None:
    global _lib, _loaded  # noqa: PLW0603 - loaded once per process
    if _loaded:
        return _lib
    _loaded = True
    name = ctypes.util.find_library("pulse") or "libpulse.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        logger.info("libpulse not found: unplugged sound devices are noticed as Qt reports them")
        return None
    lib.pa_mainloop_new.restype = ctypes.c_void_p
    lib.pa_mainloop_get_api.restype = ctypes.c_void_p
    lib.pa_mainloop_get_api.argtypes = [ctypes.c_void_p]
    lib.pa_mainloop_iterate.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.pa_mainloop_free.argtypes = [ctypes.c_void_p]
    lib.pa_context_new.restype = ctypes.c_void_p
    lib.pa_context_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.pa_context_connect.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
    lib.pa_context_get_state.argtypes = [ctypes.c_void_p]
    lib.pa_context_disconnect.argtypes = [ctypes.c_void_p]
    lib.pa_context_unref.argtypes = [ctypes.c_void_p]
    for getter in (lib.pa_context_get_sink_info_list, lib.pa_context_get_source_info_list):
        getter.restype = ctypes.c_void_p
        getter.argtypes = [ctypes.c_void_p, _LIST_CB, ctypes.c_void_p]
    lib.pa_operation_get_state.argtypes = [ctypes.c_void_p]
    lib.pa_operation_unref.argtypes = [ctypes.c_void_p]
    _lib = lib
    return lib


def pulse_device_names(timeout: float = 1.0) -> tuple[set[str], set[str]] | None:
    """(sink names, source names) the server has now, monitors left out; None when that cannot be known."""
    lib = _libpulse()
    if lib is None:
        return None
    loop = lib.pa_mainloop_new()
    if not loop:
        return None
    context = lib.pa_context_new(lib.pa_mainloop_get_api(loop), b"trunkdesk-devices")
    sinks: set[str] = set()
    sources: set[str] = set()
    try:
        # PA_CONTEXT_NOAUTOSPAWN (1): never start a server just to look
        if not context or lib.pa_context_connect(context, None, 1, None) < 0:
            return None
        deadline = time.monotonic() + timeout

        def run_until(done: Callable[[], bool]) -> bool:
            while not done():
                if time.monotonic() > deadline or lib.pa_context_get_state(context) in (_FAILED, _TERMINATED):
                    return False
                lib.pa_mainloop_iterate(loop, 0, None)
                time.sleep(0.001)
            return True

        if not run_until(lambda: lib.pa_context_get_state(context) == _READY):
            return None
        finished = [0]

        def collect(into: set[str], monitors: bool) -> Any:
            def callback(_context: int, info: ctypes._Pointer[_Info], eol: int, _data: int) -> None:
                if eol:
                    finished[0] += 1
                elif info and info.contents.name:
                    name = info.contents.name.decode("utf-8", "replace")
                    if not (monitors and name.endswith(".monitor")):
                        into.add(name)
            return _LIST_CB(callback)

        callbacks = (collect(sinks, False), collect(sources, True))  # kept referenced until the lists are done
        for operation in (lib.pa_context_get_sink_info_list(context, callbacks[0], None),
                          lib.pa_context_get_source_info_list(context, callbacks[1], None)):
            if operation:
                lib.pa_operation_unref(operation)
        if not run_until(lambda: finished[0] >= 2):
            return None
        return sinks, sources
    finally:
        if context:
            lib.pa_context_disconnect(context)
            lib.pa_context_unref(context)
        lib.pa_mainloop_free(loop)

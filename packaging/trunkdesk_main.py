"""The bundle's entry point: `trunkdesk` as a PyInstaller executable (packaging/trunkdesk.spec).

`freeze_support` first: the media engine starts its workers with multiprocessing's "spawn", which in a frozen
program re-runs this executable; the call turns those runs into workers instead of a second desk.

The desk re-runs itself for the demo's testbed and the pair's instances as ``sys.executable -m console.cli ...``
(console/ui/demo.py, testbed/pair.py). In the bundle ``sys.executable`` is this program, so that form is accepted
here: ``trunkdesk -m console.cli ARGS`` is ``trunkdesk ARGS``.
"""

import multiprocessing
import sys

SELF_MODULE = ["-m", "console.cli"]


def strip_self_module(argv: list[str]) -> list[str]:
    """``argv`` without a leading ``-m console.cli`` (after the program name)."""
    return argv[:1] + argv[3:] if argv[1:3] == SELF_MODULE else argv


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.argv = strip_self_module(sys.argv)
    from console.cli import main

    sys.exit(main())

"""The `trunkdesk` command: the desk, the demo, the testbed and headless scenarios.

Heavy imports (Qt, the testbed) happen inside each sub-command so that `trunkdesk --help` is instant.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.ui.test_mode import TestModeOptions


def build_parser() -> argparse.ArgumentParser:
    from testbed.cli import (
        add_arguments,
        add_media_arguments,
        add_platform_arguments,
        add_tls_arguments,
        add_witness_arguments,
    )

    parser = argparse.ArgumentParser(
        prog="trunkdesk", description="Dispatch console for metro-line 5G trunking. Without a command: open the "
        "desk against the platform in the configuration file (asking for it on the first run).")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    parser.add_argument("--config", type=Path, default=None, metavar="FILE",
                        help="the desk's settings file (default: config.toml in the user's config folder; every key "
                             "is described in docs/configuration.md)")
    parser.add_argument("--language", choices=("zh_CN", "en"), default=None,
                        help="language of the desk (default: the last one chosen, else the system's)")
    sub = parser.add_subparsers(dest="command")
    desk = sub.add_parser("desk", help="open the desk against a platform (flags override the settings file)")
    desk.add_argument("--url", action="append", default=None, metavar="URL",
                      help="ws:// or wss:// address of a platform instance (give both instances of a pair; "
                           "default: platform.urls)")
    desk.add_argument("--user", default=None, help="dispatcher user name (default: dispatcher.user)")
    desk.add_argument("--password-file", type=Path, default=None,
                      help="file whose first line is the password (default: dispatcher.password_file, else ask on "
                           "the terminal)")
    desk.add_argument("--ca-file", type=Path, default=None,
                      help="trust this CA (PEM) for wss:// instances instead of the system's (platform.tls.ca_file)")
    desk.add_argument("--no-verify", action="store_true",
                      help="accept any certificate (isolated test benches only; platform.tls.verify = false)")
    desk.add_argument("--allow-plain", action="store_true",
                      help="allow the password over plain ws:// off loopback (isolated test networks only)")
    # no longer used (the platform decides the plane); still accepted so that old launchers start, with a warning
    desk.add_argument("--media-plane", choices=("direct", "janus"), default=None, help=argparse.SUPPRESS)
    desk.add_argument("--allow-address", action="append", default=None, metavar="IP",
                      help="an address media may use (repeatable; media.allowed_addresses)")
    desk.add_argument("--allow-interface", action="append", default=None, metavar="NAME",
                      help="an interface media may use (repeatable; media.allowed_interfaces)")
    desk.add_argument("--stun", action="append", default=None, metavar="URL",
                      help="a STUN server, stun:HOST:PORT (repeatable; media.stun_servers; none by default)")
    desk.add_argument("--reset-layout", action="store_true", help="start with the default layout of the panes")
    desk.add_argument("--line", type=Path, default=None, help="line file whose layout the desk draws")
    desk.add_argument("--duration", type=float, default=None, help="close the desk after this many seconds")
    desk.add_argument("--test-mode", action="store_true",
                      help="show the test mode panel: simulated terminals of the line registered with this platform, "
                           "driven by hand, and a recorder of scenario files")
    _add_language(desk)
    testbed = sub.add_parser("testbed", help="run the reference platform and the simulated line, headless")
    add_arguments(testbed)
    add_tls_arguments(testbed)
    add_media_arguments(testbed)
    demo = sub.add_parser("demo", help="the demo: the dual-live testbed with the simulated line, and the desk "
                                       "signed in to it as the chief dispatcher")
    add_arguments(demo)
    add_media_arguments(demo)
    demo.add_argument("--headless", action="store_true",
                      help="run the testbed only (the pair and the simulated line), without the desk")
    demo.add_argument("--test-mode", action="store_true",
                      help="the desk owns the testbed (the pair as processes, the simulated terminals in the desk's "
                           "process) and shows the test mode panel: drive terminals, break the pair, record scenarios")
    _add_language(demo)
    platform = sub.add_parser("platform", help="run one reference platform instance (alone, or half of a pair)")
    add_platform_arguments(platform)
    witness = sub.add_parser("witness", help="run the witness of a dual-live pair")
    add_witness_arguments(witness)
    from console.headless.cli import add_arguments as add_scenario_arguments

    scenario = sub.add_parser("scenario", help="validate or run scenario files headless (docs/scenarios.md)")
    add_scenario_arguments(scenario)
    return parser


def _add_language(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a sub-command's default must not overwrite `trunkdesk --language X <command>`
    parser.add_argument("--language", choices=("zh_CN", "en"), default=argparse.SUPPRESS,
                        help="language of the desk (default: the last one chosen, else the system's)")


def desk_overrides(args: argparse.Namespace) -> dict[str, object]:
    """The settings the command line sets, by their dotted keys in the settings file (flags win over the file)."""
    given: dict[str, object] = {}
    for flag, key in (("url", "platform.urls"), ("user", "dispatcher.user"),
                      ("password_file", "dispatcher.password_file"), ("ca_file", "platform.tls.ca_file"),
                      ("allow_address", "media.allowed_addresses"),
                      ("allow_interface", "media.allowed_interfaces"), ("stun", "media.stun_servers"),
                      ("language", "ui.language")):
        value = getattr(args, flag, None)
        if value is not None:
            given[key] = [str(v) for v in value] if isinstance(value, list) else str(value)
    for flag, key, value in (("no_verify", "platform.tls.verify", False), ("allow_plain", "platform.allow_plain", True),
                             ("reset_layout", "ui.reset_layout", True)):
        if getattr(args, flag, False):
            given[key] = value
    if getattr(args, "verbose", 0):
        given["logging.level"] = "DEBUG" if args.verbose > 1 else "INFO"
    return given


def _password(user: str, password_file: Path | None) -> str | None:
    if password_file is not None:
        from console.core.config import ConfigError, read_secret_file

        try:
            return read_secret_file(password_file)
        except ConfigError as exc:
            print(f"trunkdesk desk: {exc}", file=sys.stderr)
            return None
    if not sys.stdin.isatty():
        print("trunkdesk desk: no terminal to ask the password on: give --password-file", file=sys.stderr)
        return None
    return getpass.getpass(f"password of {user}: ")


def _program(args: argparse.Namespace) -> str:
    """The name of this program's log file."""
    if args.command == "platform":
        return f"platform-{args.instance}"
    if args.command == "demo":
        return "demo-testbed" if args.headless else "demo"
    return args.command or "desk"


def _demo_testbed_args(args: argparse.Namespace) -> list[str]:
    """The testbed options of `trunkdesk demo` handed on to its headless child."""
    passed = ["--seed", str(args.seed), "--rate", str(args.rate), "--speed", str(args.speed)]
    if args.line is not None:
        passed += ["--line", str(args.line)]
    if args.no_terminals:
        passed.append("--no-terminals")
    if getattr(args, "media", "direct") == "janus":
        passed += ["--media", "janus", "--janus-port", str(args.janus_port),
                   "--rtp-ports", "-".join(map(str, args.rtp_ports))]
        for address in args.media_address:
            passed += ["--media-address", address]
    return passed


def janus_demo_problem(args: argparse.Namespace) -> str | None:
    """Why `trunkdesk demo --media janus` cannot run as asked (None: it can): Janus must be installed, and media
    needs an address of this machine that is not loopback, since Janus cannot do ICE over 127.0.0.1."""
    if getattr(args, "media", "direct") != "janus":
        return None
    import ipaddress
    import shutil

    from testbed.janus import INSTALL_COMMAND

    if shutil.which("janus") is None:
        return f"the Janus plane needs Janus, which is not installed: {INSTALL_COMMAND} (as root, or with sudo)"
    if not args.media_address:
        return ("--media janus needs --media-address ADDR: an address of this machine that is not loopback (Janus "
                "cannot do ICE over 127.0.0.1), e.g. its LAN address; media between the demo's own processes stays "
                "on the machine")
    for address in args.media_address:
        try:
            loopback = ipaddress.ip_address(address).is_loopback
        except ValueError:
            return f"--media-address {address} is not an IP address"
        if loopback:
            return (f"--media-address {address} is loopback: Janus cannot do ICE over 127.0.0.1; give an address of "
                    "this machine that is not, e.g. its LAN address")
    return None


def _test_mode(args: argparse.Namespace) -> TestModeOptions | None:
    """The test bench `--test-mode` asks for: the demo's simulated line (its seed, rate and speed) with its own pair,
    or, against a platform of the desk's, no terminal until the maintainer adds one and no behaviours of their own."""
    if not getattr(args, "test_mode", False):
        return None
    from console.ui.test_mode import TestModeOptions

    if args.command == "demo":
        janus = getattr(args, "media", "direct") == "janus"
        return TestModeOptions(terminals=() if args.no_terminals else None, rate=args.rate, seed=args.seed,
                               speed=args.speed, media="janus" if janus else "direct",
                               media_addresses=tuple(args.media_address) if janus else ())
    return TestModeOptions(terminals=(), rate=0.0)


def server_loop_run(main: Coroutine[Any, Any, int]) -> int:
    """Run a server program (platform, testbed, witness) on uvloop where installed: per message, its event loop
    costs noticeably less than asyncio's own (docs/benchmarks.md, "Platform"). ``TRUNKDESK_LOOP=asyncio`` keeps
    asyncio's loop (A/B runs, or a platform where uvloop misbehaves)."""
    if os.environ.get("TRUNKDESK_LOOP", "").strip().lower() != "asyncio":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.run(main)
    return asyncio.run(main)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from console.core.config import load_settings
    from console.core.logs import level_named, setup_logging

    level = logging.WARNING - 10 * min(args.verbose, 2)
    desk_like = args.command in (None, "desk")
    loaded = None
    if desk_like:
        loaded = load_settings(args.config, overrides=desk_overrides(args) if args.command == "desk" else None)
    file_level = min(level, level_named(loaded.settings.logging.level if loaded is not None else "INFO"))
    setup_logging(_program(args), level=level, file_level=file_level,
                  directory=loaded.settings.logging.directory if loaded is not None else None)
    for problem in loaded.problems if loaded is not None else ():
        logging.getLogger("console.cli").info("settings: %s", problem)  # into the log file; shown below too
    if args.command == "demo" and (janus_problem := janus_demo_problem(args)) is not None:
        print(f"trunkdesk demo: {janus_problem}", file=sys.stderr)
        return 2
    if args.command in ("testbed", "platform", "witness") or (args.command == "demo" and args.headless):
        from testbed import cli

        runner = {"testbed": cli.run, "demo": cli.run, "platform": cli.run_platform, "witness": cli.run_witness}
        try:
            return server_loop_run(runner[args.command](args))
        except KeyboardInterrupt:
            return 130
    if args.command == "scenario":
        from console.headless.cli import main as run_scenarios

        try:
            return run_scenarios(args)
        except KeyboardInterrupt:
            return 130
    if args.command == "demo":
        from console.ui.app import run_desk

        return run_desk([], "", "", demo=True, testbed_args=_demo_testbed_args(args), language=args.language,
                        line=args.line, quit_after=args.duration, test_mode=_test_mode(args),
                        media_addresses=args.media_address if args.media == "janus" else ())
    assert loaded is not None
    if args.command == "desk":
        for problem in loaded.problems:
            print(f"trunkdesk desk: {problem}", file=sys.stderr)
        if args.media_plane is not None:
            print("trunkdesk desk: --media-plane is no longer used (ignored): the platform decides the media plane "
                  "and says so for each media session", file=sys.stderr)
        settings = loaded.settings
        if not settings.platform.urls or not settings.dispatcher.user:
            print(f"trunkdesk desk: give --url and --user, or set platform.urls and dispatcher.user in {loaded.path}",
                  file=sys.stderr)
            return 2
        password = _password(settings.dispatcher.user, settings.dispatcher.password_file)
        if password is None:
            return 2
        from console.ui.app import run_desk

        return run_desk(settings.platform.urls, settings.dispatcher.user, password,
                        language=settings.ui.language or None, line=args.line, quit_after=args.duration,
                        settings=settings, test_mode=_test_mode(args))
    from console.ui.app import run_configured

    return run_configured(language=args.language, loaded=loaded)


if __name__ == "__main__":
    sys.exit(main())

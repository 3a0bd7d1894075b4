"""`trunkdesk testbed`: the reference platform and the simulated line, headless.

Prints one ``listening ws://HOST:PORT`` line per platform instance (``wss://`` with ``--tls``, followed by a
``tls ca PATH`` line naming the CA to trust), then a live summary once a second (terminals registered, calls,
floor grants per second), and stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import logging
import signal
import ssl
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testbed.line import Line, LineError, default_line_path, load_line
from testbed.terminals.service import ServiceClock

if TYPE_CHECKING:
    from testbed.tls import TestCertificates

log = logging.getLogger(__name__)


def tune_gc() -> None:
    """Fewer, cheaper garbage collections for a long-running server.

    With thousands of sessions a full collection took 100-200 ms here (bench/bench_platform.py), long enough
    to show as latency spikes; moving what exists at start-up out of the collector's view and collecting the
    young generation less often removes most of them."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The testbed's command-line options (shared by `trunkdesk testbed` and `trunkdesk demo`)."""
    parser.add_argument("--line", type=Path, default=None, help="line file (default: the sample line)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the simulated behaviours")
    parser.add_argument("--rate", type=float, default=1.0,
                        help="scale of behaviour rates (talk bursts, texts, alarms); 0 turns them off")
    parser.add_argument("--speed", type=float, default=1.0, help="timetable speed factor (10 = ten times faster)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7700, help="port of instance A (0 picks a free one)")
    parser.add_argument("--no-terminals", action="store_true", help="run the platform only")
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    parser.add_argument("--quiet", action="store_true", help="no live summary")
    parser.add_argument("--pair", action="store_true",
                        help="run the platform as a dual-live pair: instances A and B and a witness, as processes")
    parser.add_argument("--handling-times", type=Path, default=None, metavar="FILE",
                        help="time every request inside the platform (socket read to answer written) and write the "
                             "histograms as JSON to FILE on stop; for benchmarks, the platform alone (not --pair)")


def _port_range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    try:
        if not sep:
            raise ValueError
        return int(low), int(high)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port range is LOW-HIGH, e.g. 20000-20999, not {text!r}") from None


def add_media_arguments(parser: argparse.ArgumentParser) -> None:
    """`trunkdesk testbed --media janus`: the SFU media plane, with a Janus the testbed starts and stops itself."""
    parser.add_argument("--media", choices=("direct", "janus"), default="direct",
                        help="media plane: direct (peer to peer, the default) or janus (the platform brokers its own "
                             "Janus SFU: each terminal publishes once, any number of consoles watch)")
    parser.add_argument("--media-address", action="append", default=[], metavar="ADDR",
                        help="an address (or interface) the terminals' and Janus's media may use (repeatable); the "
                             "Janus plane needs one that is not loopback: Janus cannot run ICE over 127.0.0.1")
    parser.add_argument("--janus-port", type=int, default=0,
                        help="port of Janus's API, on 127.0.0.1 (default: a free one)")
    parser.add_argument("--rtp-ports", type=_port_range, default=(20000, 20999), metavar="LOW-HIGH",
                        help="UDP ports Janus's media may use (default 20000-20999)")


async def start_janus(args: argparse.Namespace, command: str) -> Any:
    """The testbed's own Janus for ``--media janus`` (None for the direct plane), started; prints one ``janus``
    line. SystemExit(2) with the reason (and the install command when janus is missing)."""
    if getattr(args, "media", "direct") != "janus":
        return None
    from testbed.janus import JanusConfig, JanusNotInstalled, JanusProcess, JanusStartError

    if not args.media_address:
        print(f"trunkdesk {command}: the Janus plane needs --media-address: an address of this machine other than "
              "loopback (Janus cannot run ICE over 127.0.0.1), e.g. its LAN address; media between the testbed's "
              "own processes stays on the machine", file=sys.stderr)
        raise SystemExit(2)
    try:
        config = JanusConfig(api_port=args.janus_port, rtp_ports=args.rtp_ports,
                             ice_enforce=tuple(args.media_address))
    except ValueError as exc:
        print(f"trunkdesk {command}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    janus = JanusProcess(config)
    try:
        await janus.start()
    except JanusNotInstalled as exc:
        print(f"trunkdesk {command}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except (JanusStartError, OSError) as exc:
        print(f"trunkdesk {command}: Janus did not start: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    low, high = config.rtp_ports
    print(f"janus {janus.url} pid {janus.pid} media on {', '.join(args.media_address)} RTP ports {low}-{high}",
          flush=True)
    return janus


def add_tls_arguments(parser: argparse.ArgumentParser) -> None:
    """`trunkdesk testbed --tls`: serve wss with a certificate from the testbed's own test CA."""
    parser.add_argument("--tls", action="store_true",
                        help="serve wss:// with a certificate for 127.0.0.1 and localhost signed by a test CA made "
                             "on first use; clients must trust the CA file printed as 'tls ca PATH'")
    parser.add_argument("--tls-dir", type=Path, default=None,
                        help="folder of the test CA and certificate (default: testbed-tls in the user data folder)")


def add_platform_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `trunkdesk platform`: one platform instance, alone or one half of a pair."""
    parser.add_argument("--line", type=Path, default=None, help="line file (default: the sample line)")
    parser.add_argument("--instance", default="A", help="instance name (A or B)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7700, help="TDP/1 port (0 picks a free one)")
    parser.add_argument("--peer-port", type=int, default=0, help="pair link port")
    parser.add_argument("--witness", default=None, help="witness URL; with it the instance joins a pair")
    parser.add_argument("--peer", action="append", default=[], metavar="NAME=URL",
                        help="pair link URL of an instance (give both, this one included)")
    parser.add_argument("--client", action="append", default=[], metavar="NAME=URL",
                        help="TDP/1 URL of an instance, announced to clients as the peer")
    parser.add_argument("--pair-secret", default="", help="shared secret of the pair link")
    parser.add_argument("--announce", action="append", default=[], metavar="ADDR",
                        help="announce the instance over mDNS (_trunkdesk._tcp) on the interface with this IP "
                             "address (repeatable; consoles find it there unless they have addresses configured)")
    parser.add_argument("--tls-cert", type=Path, default=None,
                        help="serve wss:// with this certificate chain (PEM); needs --tls-key")
    parser.add_argument("--tls-key", type=Path, default=None, help="private key (PEM) of --tls-cert")
    parser.add_argument("--janus-url", default=None, metavar="URL",
                        help="the SFU media plane: broker the Janus whose API is at URL (ws://127.0.0.1:PORT) while "
                             "active; without it, the direct media plane")
    parser.add_argument("--line-clock", default=None, metavar="'START SPEED OFFSET'",
                        help="a simulated line's timetable clock (service time OFFSET at unix time START, running "
                             "SPEED times real time), told to consoles; without it, the time of day (a real line)")


def add_witness_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7720, help="witness port (0 picks a free one)")


def _pairs(items: list[str], option: str) -> dict[str, str]:
    result = {}
    for item in items:
        name, sep, url = item.partition("=")
        if not sep or not name or not url:
            raise SystemExit(f"trunkdesk platform: {option} wants NAME=URL, got {item!r}")
        result[name] = url
    return result


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: the only places plain ws may be served (SPEC.md §2.2)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _server_tls(args: argparse.Namespace, command: str) -> ssl.SSLContext | None:
    """The SSL context of ``--tls-cert``/``--tls-key`` (None without them); ValueError saying what is wrong."""
    from protocols.aio.tls import server_context

    cert, key = args.tls_cert, args.tls_key
    if cert is None and key is None:
        if not is_loopback_host(args.host):
            print(f"trunkdesk {command}: warning: serving plain ws:// on {args.host}: SPEC.md §2.2 allows plain "
                  "ws on loopback only; give --tls-cert and --tls-key", file=sys.stderr)
        return None
    if cert is None or key is None:
        raise ValueError("--tls-cert and --tls-key go together")
    try:
        return server_context(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot use the TLS certificate {cert} with key {key}: {exc}") from None


def certificates_from_args(args: argparse.Namespace) -> TestCertificates | None:
    """The testbed's test certificates when ``--tls`` is on (made on first use), valid for loopback and --host."""
    if not getattr(args, "tls", False):
        return None
    from platformdirs import user_data_dir

    from testbed.tls import LOOPBACK_HOSTS, load_or_make_certificates

    folder = args.tls_dir or Path(user_data_dir("trunkdesk")) / "testbed-tls"
    hosts = list(LOOPBACK_HOSTS)
    if args.host not in hosts and args.host not in ("0.0.0.0", "::"):
        hosts.append(args.host)
    return load_or_make_certificates(folder, hosts=hosts)


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def run_platform(args: argparse.Namespace) -> int:
    """Run one platform instance until interrupted."""
    from testbed.platform.server import PairConfig, PlatformServer

    try:
        line = load_line(args.line or default_line_path())
    except (LineError, OSError) as exc:
        print(f"trunkdesk platform: {exc}", file=sys.stderr)
        return 2
    pair = None
    if args.witness:
        pair = PairConfig(witness=args.witness, peer_urls=_pairs(args.peer, "--peer"),
                          client_urls=_pairs(args.client, "--client"), peer_host=args.host,
                          peer_port=args.peer_port, secret=args.pair_secret)
    try:
        tls = _server_tls(args, "platform")
    except ValueError as exc:
        print(f"trunkdesk platform: {exc}", file=sys.stderr)
        return 2
    try:
        line_clock = ServiceClock.parse(args.line_clock) if args.line_clock else None
    except ValueError as exc:
        print(f"trunkdesk platform: --line-clock: {exc}", file=sys.stderr)
        return 2
    try:
        platform = PlatformServer(line, host=args.host, port=args.port, instance=args.instance, pair=pair,
                                  announce=args.announce, ssl=tls, janus_url=args.janus_url,
                                  line_clock=line_clock.to_wire() if line_clock is not None else None)
    except ValueError as exc:  # an --announce address or the instance name does not fit SPEC §8
        print(f"trunkdesk platform: cannot announce: {exc}", file=sys.stderr)
        return 2
    if args.announce and args.host not in (*args.announce, "0.0.0.0", "::"):
        print(f"trunkdesk platform: warning: announcing {', '.join(args.announce)} but listening on {args.host}",
              file=sys.stderr)
    platform.on_role = lambda text: print(f"{args.instance}: {text}", flush=True)
    try:
        await platform.start()
    except OSError as exc:
        print(f"trunkdesk platform: cannot listen: {exc}", file=sys.stderr)
        return 2
    print(f"listening {platform.url}", flush=True)
    tune_gc()
    try:
        await _until_signalled()
    finally:
        await platform.stop()
    return 0


async def run_witness(args: argparse.Namespace) -> int:
    """Run the pair's witness until interrupted."""
    from testbed.platform.witness import WitnessServer

    witness = WitnessServer(host=args.host, port=args.port)
    try:
        await witness.start()
    except OSError as exc:
        print(f"trunkdesk witness: cannot listen: {exc}", file=sys.stderr)
        return 2
    print(f"witness {witness.url}", flush=True)
    try:
        await _until_signalled()
    finally:
        await witness.stop()
    return 0


async def run(args: argparse.Namespace) -> int:
    """Run the platform (and the simulated line) until interrupted or ``--duration`` passes."""
    handling_times: Path | None = getattr(args, "handling_times", None)
    if args.pair or getattr(args, "command", None) == "demo":
        if handling_times is not None:
            print("trunkdesk testbed: --handling-times times the platform alone, not a pair", file=sys.stderr)
            return 2
        return await run_pair(args)
    from testbed.platform.handling_times import HandlingTimes
    from testbed.platform.server import PlatformServer

    try:
        line = load_line(args.line or default_line_path())
    except LineError as exc:
        print(f"trunkdesk testbed: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"trunkdesk testbed: cannot read line file: {exc}", file=sys.stderr)
        return 2
    try:
        certs = certificates_from_args(args)
    except (OSError, ValueError) as exc:
        print(f"trunkdesk testbed: cannot make the test certificates: {exc}", file=sys.stderr)
        return 2
    service = _line_clock(args, line)
    if isinstance(service, int):
        return service
    janus = await start_janus(args, "testbed")
    times = HandlingTimes() if handling_times is not None else None
    platform = PlatformServer(line, host=args.host, port=args.port, instance="A",
                              ssl=certs.server_context() if certs is not None else None,
                              janus_url=janus.url if janus is not None else None, request_times=times,
                              line_clock=service.to_wire() if service is not None else None)
    try:
        await platform.start()
    except OSError as exc:
        print(f"trunkdesk testbed: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        if janus is not None:
            await janus.stop()
        return 2
    print(f"listening {platform.url}", flush=True)
    if certs is not None:
        print(f"tls ca {certs.ca_file}", flush=True)
    tune_gc()
    last_grants = 0

    def summary() -> str:
        nonlocal last_grants
        figures = platform.summary()
        grants, last_grants = figures["floor_grants"] - last_grants, figures["floor_grants"]
        media = ""
        if platform.sfu is not None:
            feeds = sum(1 for s in platform.state.video.sessions.values() if s.publication)
            media = f"  media plane {'up' if platform.sfu.up else 'DOWN'} ({feeds} feeds published)"
        return (f"terminals {figures['terminals_registered']:4d}  consoles {figures['consoles']:2d}  "
                f"calls {figures['calls']:3d}  floor grants/s {grants:4d}  requests {figures['requests']}{media}")

    async def stop_platform() -> None:
        await platform.stop()
        if times is not None and handling_times is not None:
            try:
                times.write(handling_times)
            except OSError as exc:
                print(f"trunkdesk testbed: cannot write the handling times to {handling_times}: {exc}",
                      file=sys.stderr)
            else:
                print(f"handling times written to {handling_times}", flush=True)
        if janus is not None:
            await janus.stop()
            print("janus stopped", flush=True)

    return await _simulate(args, line, platform.url, certs, summary=summary, stop_platform=stop_platform,
                           service=service)


async def run_pair(args: argparse.Namespace) -> int:
    """`trunkdesk testbed --pair`: witness, A and B as processes, and the simulated line against both."""
    from testbed.pair import PairProcesses

    try:
        line = load_line(args.line or default_line_path())
    except (LineError, OSError) as exc:
        print(f"trunkdesk testbed: {exc}", file=sys.stderr)
        return 2
    try:
        certs = certificates_from_args(args)
    except (OSError, ValueError) as exc:
        print(f"trunkdesk testbed: cannot make the test certificates: {exc}", file=sys.stderr)
        return 2
    service = _line_clock(args, line)
    if isinstance(service, int):
        return service
    janus = await start_janus(args, "testbed")
    extra = ["--janus-url", janus.url] if janus is not None else []
    if service is not None:  # both instances tell consoles the clock the simulated line runs on
        extra += ["--line-clock", service.text()]
    pair = PairProcesses(line=args.line, host=args.host, base_port=args.port, tls=certs, extra=extra)
    try:
        await pair.start()
    except (OSError, RuntimeError, TimeoutError) as exc:
        print(f"trunkdesk testbed: the pair did not start: {exc}", file=sys.stderr)
        await pair.stop()
        if janus is not None:
            await janus.stop()
        return 2
    for url in pair.urls:
        print(f"listening {url}", flush=True)
    if certs is not None:
        print(f"tls ca {certs.ca_file}", flush=True)
    fleet_view: list[Any] = []

    def summary() -> str:
        roles = "  ".join(f"{n}: {'up' if pair.alive(n) else 'down'}" for n in ("A", "B", "witness"))
        registered = getattr(fleet_view[0].stats(), "registered", 0) if fleet_view else 0
        return f"{roles}  terminals {registered}"

    async def stop_pair() -> None:
        await pair.stop()
        if janus is not None:
            await janus.stop()
            print("janus stopped", flush=True)

    return await _simulate(args, line, pair.urls, certs, summary=summary, stop_platform=stop_pair,
                           fleet_view=fleet_view, service=service)


def _line_clock(args: argparse.Namespace, line: Line) -> ServiceClock | int | None:
    """The clock the simulated line will run on, decided before the platform starts so that it tells every console
    (SPEC §3.5.9); None with ``--no-terminals`` (nothing moves on it); 2 (the exit code) for a bad ``--speed``."""
    if args.no_terminals:
        return None
    from testbed.terminals.fleet import simulated_clock

    try:
        return simulated_clock(line, speed=args.speed)
    except ValueError as exc:
        print(f"trunkdesk testbed: --speed: {exc}", file=sys.stderr)
        return 2


async def _simulate(args: argparse.Namespace, line: Line, urls: str | list[str], certs: Any, *,
                    summary: Callable[[], str], stop_platform: Callable[[], Awaitable[None]],
                    fleet_view: list[Any] | None = None, service: ServiceClock | None = None) -> int:
    """Run the simulated line against the started platform, print a summary a second, stop on a signal or
    after ``--duration``, then stop the fleet and the platform."""
    fleet = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if not args.no_terminals:
            from testbed.terminals.fleet import Fleet

            media = None
            if getattr(args, "media_address", None):
                from testbed.terminals.feeds import FeedSettings

                media = FeedSettings(allowed_addresses=tuple(args.media_address))
            fleet = Fleet(line, urls, seed=args.seed, rate=args.rate, speed=args.speed, service=service,
                          ssl=certs.client_context() if certs is not None else None, media=media)
            await fleet.start()
            # consoles learn the line's clock from their welcome; this line is for people and older tools
            print(f"service clock {fleet.service.text()}", flush=True)
            if fleet_view is not None:
                fleet_view.append(fleet)
        started = time.monotonic()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            if not args.quiet:
                print(summary(), flush=True)
            if args.duration is not None and time.monotonic() - started >= args.duration:
                break
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if fleet is not None:
            await fleet.stop()
        await stop_platform()
        print("testbed stopped", flush=True)
    return 0

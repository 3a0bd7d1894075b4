"""Start the Qt desk: early checks, the QApplication on a qasync loop, then the heavy imports and the window.

qutebrowser's order: `check_environment` needs nothing but the standard library and says plainly what is
missing (the desk extra, a display, a PySide6 that aborts); `create_application` sets names, fonts, theme and
language; only then are the window, the core and the panes imported and the platform connected.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from console.core.config import DeskSettings, LoadedSettings
    from console.ui.i18n import Languages
    from console.ui.session import DeskSession
    from console.ui.test_mode import TestModeOptions

logger = logging.getLogger(__name__)

ORGANISATION = "trunkdesk"
APPLICATION = "trunkdesk"
#: the font families in order of preference: CJK first so that Chinese never falls back to boxes
FONT_FAMILIES = ["Noto Sans CJK SC", "Noto Sans SC", "Noto Sans", "DejaVu Sans", "Sans Serif"]
#: PySide6 releases known to break the desk (6.12.0 aborts after a few thousand signal emits on Python 3.11)
BROKEN_PYSIDE = {"6.12.0"}


@dataclass
class DeskOptions:
    """Everything `run_desk` was asked for."""

    urls: list[str]
    user: str
    password: str
    demo: bool = False
    #: extra arguments for the demo's testbed (``--seed``, ``--rate``, ``--speed``, ``--line``)
    testbed_args: list[str] = field(default_factory=list)
    language: str | None = None
    #: line file whose layout the desk draws (the demo uses the sample line)
    line: Path | None = None
    #: the event log's SQLite file (default: in the user's data folder)
    log_path: Path | None = None
    #: quit after this many seconds (tests, demos on a timer)
    quit_after: float | None = None
    #: run with the signed-in `DeskSession` once the desk is up; the desk closes when it returns (screenshots,
    #: scripted demos)
    script: Callable[[DeskSession], Awaitable[None]] | None = None
    #: the settings in force (TLS, plain ws, layout reset, PTT keys, diagnostics); None: the defaults
    settings: DeskSettings | None = None
    #: test mode: the desk owns a test bench (with ``demo``, the pair too) and shows its panel
    test_mode: TestModeOptions | None = None
    #: where the desk's media may flow, over the settings (`trunkdesk demo --media janus --media-address ADDR`)
    media_addresses: tuple[str, ...] = ()


class DeskStartError(RuntimeError):
    """The desk cannot start here; the message says why and what to do."""


def check_environment() -> None:
    """Raise `DeskStartError` unless the desk can run: PySide6 and qasync installed, a good PySide6, a display."""
    try:
        import PySide6
        import qasync  # noqa: F401 - checked for presence only
    except ImportError as exc:
        raise DeskStartError(f"the desk needs the 'desk' extra ({exc.name} is missing): "
                             "pip install 'trunkdesk[desk]', or run `trunkdesk demo --headless`") from None
    if PySide6.__version__ in BROKEN_PYSIDE and sys.version_info[:2] == (3, 11):
        raise DeskStartError(f"PySide6 {PySide6.__version__} aborts after a few thousand signal emits on Python "
                             "3.11; install PySide6-Essentials==6.11.3 and PySide6-Addons==6.11.3")
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if sys.platform.startswith("linux") and not platform and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise DeskStartError("no display (DISPLAY and WAYLAND_DISPLAY are unset): run the desk in a graphical "
                             "session, or `trunkdesk demo --headless` for the testbed alone")


def data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APPLICATION))


def create_application(argv: Sequence[str] | None = None, *, language: str | None = None
                       ) -> tuple[QApplication, Languages]:
    """The QApplication with the desk's names, fonts, theme, icon and language (stored choice, else the system's)."""
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from console.ui.i18n import LANGUAGES, Languages, system_language
    from console.ui.resources import icon, theme_stylesheet

    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setApplicationName(APPLICATION)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv or [APPLICATION]))
    app.setApplicationDisplayName("trunkdesk")
    app.setWindowIcon(icon("trunkdesk"))
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPixelSize(15)
    app.setFont(font)
    app.setStyle("Fusion")  # the same look on every desktop; the theme's QSS is written against it
    app.setStyleSheet(theme_stylesheet("dark"))
    languages = Languages(app)
    stored = QSettings().value("ui/language")
    chosen = language or (stored if stored in LANGUAGES else None) or system_language()
    languages.set_language(str(chosen))
    return app, languages


def run_desk(urls: Sequence[str], user: str, password: str, *, demo: bool = False,
             testbed_args: Sequence[str] = (), language: str | None = None, line: Path | None = None,
             log_path: Path | None = None, quit_after: float | None = None,
             script: Callable[[DeskSession], Awaitable[None]] | None = None,
             settings: DeskSettings | None = None, test_mode: TestModeOptions | None = None,
             media_addresses: Sequence[str] = ()) -> int:
    """Run the desk against the platform at ``urls`` as ``user`` until its window is closed; the exit code.

    With ``demo`` the dual-live testbed and the simulated line run as a child process (``testbed_args`` passed on
    to it) and the desk signs in to both instances as the demo's chief dispatcher (``urls``, ``user`` and
    ``password`` may be empty). With ``test_mode`` the desk runs the test bench instead: with ``demo`` the pair as
    processes and the simulated terminals in the desk's process (console/ui/test_mode), else simulated terminals
    against ``urls``. The other options are described on `DeskOptions`.
    """
    desk_options = DeskOptions(urls=list(urls), user=user, password=password, demo=demo,
                               testbed_args=list(testbed_args), language=language, line=line, log_path=log_path,
                               quit_after=quit_after, script=script, settings=settings, test_mode=test_mode,
                               media_addresses=tuple(media_addresses))
    try:
        check_environment()
    except DeskStartError as exc:
        print(f"trunkdesk: {exc}", file=sys.stderr)  # noqa: T201 - before any window exists
        return 2
    app, languages = create_application(language=desk_options.language)
    return run_on_loop(app, languages, desk_options)


def run_configured(*, language: str | None = None, loaded: LoadedSettings | None = None) -> int:
    """``trunkdesk`` with no arguments: sign in to the configured platform, or ask for one on the first run.

    Problems in the settings file are shown (the desk starts with defaults for those keys); with addresses, a user
    and a readable ``dispatcher.password_file`` it signs in without asking."""
    from console.core.config import ConfigError, load_settings, read_secret_file
    from console.ui import config as sign_in_config

    loaded = loaded or load_settings(sign_in_config.config_path())
    settings = loaded.settings
    try:
        check_environment()
    except DeskStartError as exc:
        print(f"trunkdesk: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    app, languages = create_application(language=language or settings.ui.language or None)
    from PySide6.QtWidgets import QDialog, QMessageBox

    from console.ui.config import DeskConfig, save_config
    from console.ui.sign_in_dialog import SignInDialog

    if loaded.problems:
        QMessageBox.warning(None, "trunkdesk", "\n".join(loaded.problems))
    config = DeskConfig(list(settings.platform.urls), settings.dispatcher.user) if loaded.found else None
    password_file = settings.dispatcher.password_file
    if config is not None and config.complete and password_file is not None:
        try:
            password = read_secret_file(password_file)
        except ConfigError as exc:
            QMessageBox.warning(None, "trunkdesk", str(exc))
        else:
            return run_on_loop(app, languages, DeskOptions(urls=config.urls, user=config.user, password=password,
                                                           settings=settings))
    dialog = SignInDialog(config)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.choice is None:
        return 0
    if dialog.choice == "demo":
        return run_on_loop(app, languages, DeskOptions(urls=[], user="", password="", demo=True))
    chosen = dialog.config()
    if config is None or chosen != config:
        save_config(chosen, loaded.path)
    return run_on_loop(app, languages, DeskOptions(urls=chosen.urls, user=chosen.user, password=dialog.password(),
                                                   settings=settings))


def run_on_loop(app: QApplication, languages: Languages, options: DeskOptions) -> int:
    """Run the desk's coroutine on a qasync loop over ``app``; the exit code."""
    import qasync
    from PySide6.QtCore import QEvent

    app.setQuitOnLastWindowClosed(False)  # the coroutine decides when the loop ends
    from media.processes import release_helpers_at_exit

    release_helpers_at_exit()  # multiprocessing's helper process (sound, media) is reaped at exit, not left a zombie
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            try:
                return int(loop.run_until_complete(desk_main(app, languages, options)))
            finally:
                _cancel_leftovers(loop)
    finally:
        asyncio.set_event_loop(None)
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)  # the closed window goes now


#: longest wait for the tasks still pending when the desk's coroutine returns to end once cancelled
LEFTOVER_TIMEOUT = 10.0


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and finish the tasks still pending (as `asyncio.run` does), so none is destroyed while pending; one
    that does not end within `LEFTOVER_TIMEOUT` once cancelled is named in the log and the desk quits anyway."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    _done, stuck = loop.run_until_complete(asyncio.wait(pending, timeout=LEFTOVER_TIMEOUT))
    for task in stuck:
        logger.error("task %s did not end when cancelled: left behind", task.get_name())
    for task in pending:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved (as gather(return_exceptions=True) did): no "never retrieved" noise


async def desk_main(app: QApplication, languages: Languages, options: DeskOptions) -> int:
    """Build the window, connect the desk, and wait until the window closes."""
    # late, heavy imports: the core, the window and the panes
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QMessageBox

    from console.core.desk import Desk
    from console.core.media_desk import media_options
    from console.core.recordings import RecordingOptions
    from console.ui.demo import DEMO_PASSWORD, DEMO_USER, DemoTestbed, DemoTestbedError
    from console.ui.session import DeskSession

    testbed: DemoTestbed | None = None
    urls, user, password = options.urls, options.user, options.password
    line = options.line
    if options.demo:
        testbed = None if options.test_mode is not None else DemoTestbed(options.testbed_args)
        user, password = user or DEMO_USER, password or DEMO_PASSWORD
        if line is None:
            from testbed.line import default_line_path

            line = default_line_path()
    log_path = options.log_path or data_dir() / ("demo-events.sqlite" if options.demo else "events.sqlite")
    settings = options.settings
    # the video wall needs the desk's media: ICE only on the configured addresses (loopback unless configured),
    # STUN/TURN servers only when configured
    media, media_problems = media_options(settings.media if settings is not None else None, **(
        {"allowed_addresses": options.media_addresses} if options.media_addresses else {}))
    for problem in media_problems:
        logger.warning("%s", problem)
    from console.core.sound import DeskSound

    sound = DeskSound()  # the sound devices' PCM: the mix out, the live microphone in (console/ui/sound.py)
    media = sound.media_options(media)
    recording = settings.recording if settings is not None else None
    desk = Desk(log_path, layout=_layout(line), media=media, recording=RecordingOptions(
        folder=recording.folder if recording is not None and recording.folder is not None
        else log_path.parent / ("demo-recordings" if options.demo else "recordings"),
        keep_days=recording.keep_days if recording is not None else 30.0))
    desk.settings = settings
    desk.sound = sound
    _attach_plans(desk, line)  # before the window: its plans pane follows them
    _apply_ptt_keys(settings)
    bench = _test_bench(options, line) if options.test_mode is not None else None  # its pane, before the window
    session = DeskSession(desk, languages, user=user)
    window = session.window
    if settings is not None and settings.ui.reset_layout:
        window.reset_layout()  # ui.reset_layout: the default layout this time (saved over the old one on close)
    else:
        window.restore_layout()
    window.show()
    from console.ui.audio_devices_dialog import start_desk_sound

    audio = start_desk_sound(window, desk, sound, settings)
    if bench is not None:  # after show: a tab raised before it is not the one shown
        from console.ui.panes.test_mode import show_pane

        show_pane(window)
    if media_problems:  # a TURN server left out: said once, the desk runs on without it
        QMessageBox.warning(window, "trunkdesk", "\n".join(media_problems))
    logger.info("desk window shown")  # start-up timing (bench/bench_package.py reads it at -v)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    previous_sigint = signal.signal(signal.SIGINT, lambda *_: window.close())
    ticker = QTimer()  # lets Python run its signal handlers while Qt waits
    ticker.start(250)
    ticker.timeout.connect(lambda: None)
    code = 0
    ready: asyncio.Future[str] | None = None
    bench_terminals: asyncio.Future[None] | None = None
    try:
        if bench is not None and bench.own_pair:
            window.status.showMessage(QCoreApplication.translate("Desk", "Starting the test bench…"))
            try:
                urls = await bench.start_platform()
            except (OSError, RuntimeError, TimeoutError) as exc:
                QMessageBox.critical(window, "trunkdesk", str(exc))
                return 1
        if testbed is not None:
            window.status.showMessage(QCoreApplication.translate("Desk", "Starting the demo platform…"))
            try:
                urls = await testbed.start()
            except DemoTestbedError as exc:
                QMessageBox.critical(window, "trunkdesk", str(exc))
                return 1
        connecting = QCoreApplication.translate("Desk", "Connecting to %1…")
        window.status.showMessage(connecting.replace("%1", ", ".join(urls)))
        try:
            connect_options: dict[str, Any] = {}
            if settings is not None:
                from console.core.config import client_tls

                connect_options = {"ssl": client_tls(settings), "allow_plain": settings.platform.allow_plain}
            await desk.connect(urls, user, password, **connect_options)
        except Exception as exc:  # any failure to sign in is shown, not raised into Qt
            logger.warning("cannot connect to %s as %s: %r", urls, user, exc)
            window.status.clearMessage()
            text = QCoreApplication.translate("Desk", "Cannot connect to the platform: %1")
            QMessageBox.critical(window, "trunkdesk", text.replace("%1", str(exc) or repr(exc)))
            return 1
        window.status.clearMessage()
        await session.start()
        if bench is not None:
            await bench.attach(desk, user, password)
            bench_terminals = asyncio.ensure_future(bench.start_terminals())  # the panel shows them coming
        ready = asyncio.ensure_future(announce_ready(desk, len(urls)))  # does not hold up the desk
        if options.quit_after is not None:
            QTimer.singleShot(int(options.quit_after * 1000), window.close)
        if options.script is not None:
            script = asyncio.ensure_future(options.script(session))
            closing = asyncio.ensure_future(closed.wait())
            await asyncio.wait([script, closing], return_when=asyncio.FIRST_COMPLETED)
            closing.cancel()
            if not script.done():
                script.cancel()  # the dispatcher closed the window first
            elif not script.cancelled() and script.exception() is not None:
                logger.error("desk script failed", exc_info=script.exception())
                code = 1
        else:
            await closed.wait()
    finally:
        if ready is not None:
            ready.cancel()
        signal.signal(signal.SIGINT, previous_sigint)
        ticker.stop()
        window.close()
        await _closing(session.close(), "the desk session")
        audio.close()
        window.deleteLater()  # with it the session's bridge, actions and commands
        await _closing(desk.close(), "the desk core")
        sound.close()
        if testbed is not None:
            await _closing(testbed.stop(), "the demo testbed")
        if bench is not None:
            if bench_terminals is not None:
                bench_terminals.cancel()
            await _closing(bench.close(), "the test bench")
            from console.ui.panes.test_mode import uninstall

            uninstall()
    return code


#: longest wait for one part of the desk to close before the desk goes on closing the rest
CLOSE_STEP_TIMEOUT = 20.0


async def _closing(step: Awaitable[Any], what: str, timeout: float | None = None) -> None:
    """Await one closing step, bounded: a part that does not close in time is named in the log, cancelled and left
    behind, so that quitting the desk never hangs (not even on a part that does not end when cancelled, which
    `asyncio.wait_for` would wait for); a part that fails is logged, and the desk goes on closing the others."""
    limit = CLOSE_STEP_TIMEOUT if timeout is None else timeout
    task = asyncio.ensure_future(step)
    await asyncio.wait({task}, timeout=limit)
    if not task.done():
        logger.error("closing %s took over %g s: left behind", what, limit)
        task.cancel()
    elif not task.cancelled() and (error := task.exception()) is not None:
        logger.error("closing %s failed", what, exc_info=error)


async def announce_ready(desk: Any, instances: int, *, timeout: float = 10.0) -> str:
    """Print ``desk ready: connected to A (active), B (standby)`` once the window is up and the links to
    ``instances`` instances are up with their roles known (or after ``timeout`` s, with what is known then);
    launchers, the packaging smoke test and the start-up benchmark wait for this line. The line printed."""

    def known() -> list[Any]:
        return [link for link in desk.world.links.values() if link.state == "up" and link.role is not None]

    await desk.wait_until(lambda: len(known()) >= instances, timeout)
    links = sorted(known(), key=lambda link: link.instance)
    line = "desk ready: connected to " + (", ".join(f"{link.instance} ({link.role})" for link in links) or "none")
    logger.info("%s", line)
    print(line, flush=True)  # noqa: T201 - a line for launchers and scripts, on stdout by design
    return line


def _test_bench(options: DeskOptions, line: Path | None) -> Any:
    """Test mode's bench (its own pair in the demo, else terminals against the desk's platform), its pane installed."""
    from console.ui.panes.test_mode import install
    from console.ui.test_mode.bench import TestBench

    if options.demo:
        bench = TestBench.with_pair(options.test_mode, line=line)
    else:
        ssl = None
        if options.settings is not None:
            from console.core.config import client_tls

            ssl = client_tls(options.settings)
        bench = TestBench.against(options.urls, options.test_mode, line=line, ssl=ssl)
    install(bench)
    return bench


def _apply_ptt_keys(settings: DeskSettings | None) -> None:
    """``ptt.key`` and ``ptt.pedal`` of the settings file, when set, become the desk's PTT keys."""
    if settings is None:
        return
    from console.ui.shortcuts import set_key

    for name, key in (("ptt", settings.ptt.key), ("ptt_pedal", settings.ptt.pedal)):
        if key:
            set_key(name, key)


def _attach_plans(desk: Any, line: Path | None) -> None:
    """The emergency plans of resources/plans, checked against the line (docs/plans.md); a desk started without a
    line file has none. A broken plan file is logged and left out; nothing here stops the desk."""
    if line is None:
        return
    from console.headless.plans import attach_plans
    from testbed.line import load_line

    try:
        attach_plans(desk, load_line(line))
    except Exception:
        logger.exception("emergency plans could not be loaded")


def _layout(line: Path | None) -> Any:
    if line is None:
        return None
    from console.core.layout import layout_from_line
    from testbed.line import load_line

    return layout_from_line(load_line(line))

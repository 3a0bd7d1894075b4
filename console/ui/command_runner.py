"""Run one pane's dispatcher commands on the qasync loop and report a refusal instead of raising it into Qt.

A refused or failed command emits ``failed(what, reason)`` (the pane shows it next to its buttons) and the shell's
``DeskCommands.commandFailed`` (the status bar shows it), with ``what`` already in the desk's language.
`Running` and `failure_reason` are shared with `console.ui.panes.pane_parts.CommandStatus`, which shows the
outcome on a line of its own instead of emitting it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

from console.core.desk import CommandFailed

logger = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Future[Any]"]


def failure_reason(exc: BaseException) -> str:
    """Why a command did not happen, for the dispatcher: the platform's code and reason, or what went wrong."""
    if isinstance(exc, CommandFailed):
        return f"{exc.code} {exc.reason}"
    return str(exc) or type(exc).__name__


class Running(set["asyncio.Future[Any]"]):
    """The commands started and not yet done: kept so none is collected while it runs, and so tests and closing
    can wait for them."""

    def keep(self, future: asyncio.Future[Any]) -> asyncio.Future[Any]:
        self.add(future)
        future.add_done_callback(self.discard)
        return future

    async def wait_idle(self) -> None:
        """Wait until every command kept so far has finished."""
        while self:
            await asyncio.gather(*list(self), return_exceptions=True)


def _on_running_loop(coroutine: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
    """Start ``coroutine`` on the running loop (the qasync loop of the desk); RuntimeError when none runs."""
    return asyncio.get_running_loop().create_task(coroutine)


class CommandRunner(QObject):
    """Starts commands, keeps them until done, and turns refusals into signals."""

    #: what (translated), reason (the platform's code and reason, or what went wrong here)
    failed = Signal(str, str)
    #: what (translated), the command's result
    succeeded = Signal(str, object)

    def __init__(self, commands: Any = None, *, spawn: Spawn | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._commands = commands
        self._spawn: Spawn = spawn or _on_running_loop
        self._tasks = Running()

    def run(self, what: str, coroutine: Coroutine[Any, Any, Any],
            done: Callable[[Any], None] | None = None) -> asyncio.Future[Any] | None:
        """Start ``coroutine``; ``done(result)`` runs after it succeeded. None when no loop runs (logged)."""
        try:
            future = self._spawn(self._guarded(what, coroutine, done))
        except RuntimeError as exc:  # no event loop: a widget used outside the desk
            coroutine.close()
            logger.error("cannot run %s: %s", what, exc)
            self._report(what, str(exc))
            return None
        return self._tasks.keep(future)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def wait_idle(self) -> None:
        """Wait until every command started so far has finished (tests, closing)."""
        await self._tasks.wait_idle()

    async def _guarded(self, what: str, coroutine: Coroutine[Any, Any, Any],
                       done: Callable[[Any], None] | None) -> Any:
        try:
            result = await coroutine
        except CommandFailed as exc:
            logger.info("%s refused: %s", what, exc)
            self._report(what, failure_reason(exc))
            return None
        except (ConnectionError, TimeoutError) as exc:
            logger.warning("%s failed: %r", what, exc)
            self._report(what, failure_reason(exc))
            return None
        self.succeeded.emit(what, result)
        if done is not None:
            try:
                done(result)
            except Exception:  # the pane's follow-up must not lose the command's outcome
                logger.exception("after %s", what)
        return result

    def _report(self, what: str, reason: str) -> None:
        self.failed.emit(what, reason)
        if self._commands is not None:
            self._commands.commandFailed.emit(what, reason)


__all__ = ["CommandRunner", "Running", "Spawn", "failure_reason"]

"""A console's failover between the instances of the dual-live pair, as a sans-I/O machine (SPEC.md §4.5-4.6, §7).

The driver keeps one link per instance and tells the machine what happens on each: welcomes, role
announcements, losses, answers to commands. The machine decides which instance serves the console, holds
commands while none does, replays them (same keys, original order) after a switch, detects split brain,
and times reconnects. Time is passed in as ``now`` (seconds); the next deadline is asked with `get_timer`.

The **serving instance** is the reachable active at the highest epoch seen; failing that, a reachable
standby at that epoch whose link to the active is up (``peer_up``): it forwards commands to the active, so
a console cut off from the active alone keeps working. A switch is never made on a loss alone (§7.2).

After every switch, and whenever the serving link is not the one the platform attached the console's
session to, the session is re-attached there: `Connect` with ``replaces`` opens a second connection that
resumes the serving session (§7.2 step 3); once it is welcomed, `Restore` carries the rest of the client's
duty (§4.6): replay the unanswered commands, re-send the desired affiliation set, re-request held floors.

The events and link views live in `failover_events`; they are imported here too, so that
``from protocols.machines.failover import ...`` names everything the machine speaks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from protocols.constants import ErrorCode
from protocols.machines.failover_events import (
    CommandsFailed,
    Connect,
    FailoverEvent,
    FloorIntent,
    LinkState,
    LinkView,
    Offline,
    Resend,
    Restore,
    ServingChanged,
    SplitBrain,
    SplitBrainCleared,
    StaleAnnouncement,
)
from protocols.messages import AffiliationSet, PlatformRole, PriorityClass, Request, Role, Welcome

logger = logging.getLogger(__name__)

#: Refusals meaning "not this instance": it is standby without a path to the active, or deposed (§4.5).
_REROUTED = frozenset({ErrorCode.NOT_ACTIVE, ErrorCode.STALE_EPOCH})
#: Refusals meaning "not now": the active cannot replicate (§7.3); the same key is retried after a pause.
_RETRIED = frozenset({ErrorCode.UNAVAILABLE})


# ----- the machine ----------------------------------------------------------------------------


@dataclass
class _Link:
    """Mutable state of one instance link."""

    name: str
    state: LinkState = "down"
    instance: str | None = None
    role: Role | None = None
    epoch: int | None = None
    peer_up: bool = False
    heard_at: float | None = None
    #: resumption token of the session on this link (from its last welcome)
    token: str | None = None
    generation: int = 0
    attempts: int = 0
    #: when to try again: reconnect a down link, or retry a failed re-attach of an up one
    retry_at: float | None = None
    #: refused a command with 421/410: not usable until it announces again
    refused: bool = False
    #: a replacing connection is being opened
    reattaching: bool = False
    #: the connection being opened resumes the serving session
    resuming_serving: bool = False

    def view(self) -> LinkView:
        return LinkView(self.name, self.state, self.instance, self.role, self.epoch, self.peer_up,
                        self.heard_at, self.generation, self.attempts)


@dataclass
class _Command:
    """A command waiting for its one outcome."""

    request: Request
    deadline: float | None
    #: (link, generation) of the connection it is in flight on; None while held
    sent_on: tuple[str, int] | None = None
    #: held after a "retry later" refusal until then
    retry_at: float | None = None
    refusals: int = 0


class FailoverMachine:
    """Which instance of the pair serves the console, and what to do when that changes."""

    def __init__(
        self,
        instances: Sequence[str],
        *,
        reconnect_initial: float = 0.1,
        reconnect_max: float = 2.0,
        jitter: Callable[[], float] | None = None,
        fail_after: float | None = 10.0,
        retry_initial: float = 0.25,
        follow_attachment: bool = False,
    ) -> None:
        """``jitter`` returns a number in [0, 1) that shortens each reconnect delay by up to a quarter (None:
        no jitter). ``fail_after``: commands fail with 503 once no instance served for that long (None:
        never). ``follow_attachment``: the platform delivers a principal's notifications on the instance of
        its latest hello, so re-attach the serving link whenever another link said hello after it."""
        if not instances or len(set(instances)) != len(instances):
            raise ValueError("instances must be distinct and at least one")
        if reconnect_initial <= 0 or reconnect_max < reconnect_initial or retry_initial <= 0:
            raise ValueError("delays must be positive, reconnect_max at least reconnect_initial")
        self._links = {name: _Link(name) for name in instances}
        self._reconnect_initial = reconnect_initial
        self._reconnect_max = reconnect_max
        self._jitter = jitter
        self._fail_after = fail_after
        self._retry_initial = retry_initial
        self._follow_attachment = follow_attachment

        self._highest = 0
        self._serving: str | None = None
        self._last_served: str | None = None  # the serving instance before the current one (or the gap)
        self._via_standby = False
        self._split: tuple[tuple[str, ...], int] | None = None
        self._serving_token: str | None = None
        self._last_hello: str | None = None
        self._restored: tuple[str, int] | None = None
        self._commands: dict[str, _Command] = {}  # in the order issued
        self._affiliation: AffiliationSet | None = None
        self._floors: dict[str, FloorIntent] = {}
        self._offline_since: float | None = None
        self._lost_at: float | None = None
        self._detected_at: float | None = None
        self._switched_at: float | None = None
        self._events: list[FailoverEvent] = []

    # ----- state ------------------------------------------------------------------------------

    @property
    def serving(self) -> str | None:
        """The link commands go to, or None while no instance can serve."""
        return self._serving

    @property
    def via_standby(self) -> bool:
        """The serving instance is a standby forwarding to an active the console cannot reach."""
        return self._via_standby

    @property
    def highest_epoch(self) -> int:
        return self._highest

    @property
    def split_brain(self) -> tuple[tuple[str, ...], int] | None:
        """The instances announcing active at the same epoch, and that epoch; None when there is no split."""
        return self._split

    @property
    def commands_allowed(self) -> bool:
        """False during split brain: the driver must refuse new commands (503)."""
        return self._split is None

    @property
    def ready(self) -> bool:
        """Commands go out at once: an instance serves, its link is restored, no split brain, no re-attach."""
        return self._route() is not None

    @property
    def timeline(self) -> tuple[float | None, float | None, float | None]:
        """(lost_at, detected_at, switched_at): the last message from the serving instance that was lost and
        when its loss was detected (both None once a new one serves), and when the current one was chosen."""
        return self._lost_at, self._detected_at, self._switched_at

    @property
    def links(self) -> dict[str, LinkView]:
        return {name: link.view() for name, link in self._links.items()}

    def link(self, name: str) -> LinkView:
        return self._link(name).view()

    def outstanding(self) -> list[str]:
        """Keys of the commands still waiting for an outcome, in the order issued."""
        return list(self._commands)

    @property
    def affiliation(self) -> AffiliationSet | None:
        return self._affiliation

    @property
    def floors(self) -> list[FloorIntent]:
        return list(self._floors.values())

    # ----- links ------------------------------------------------------------------------------

    def start(self, now: float) -> None:
        """Open every link (one `Connect` each)."""
        self._offline_since = now
        for link in self._links.values():
            if link.state == "down":
                link.state = "connecting"
                link.retry_at = None
                self._events.append(Connect(link.name))

    def link_up(self, name: str, welcome: Welcome, now: float) -> None:
        """A connection on link ``name`` was welcomed (a reconnect, or the replacing connection of a re-attach).

        The welcome's role and epoch count as an announcement."""
        link = self._link(name)
        if link.state == "up" and not link.reattaching:
            logger.warning("link %s: a second connection was welcomed; it replaces the first", name)
        if link.resuming_serving:  # the serving session lives on here now, under its new token
            self._serving_token = welcome.resume_token
        link.state, link.generation, link.attempts, link.retry_at = "up", link.generation + 1, 0, None
        link.reattaching = link.resuming_serving = False
        link.heard_at, link.instance, link.token = now, welcome.instance, welcome.resume_token
        self._last_hello = name
        self._unacknowledge(lambda route: route[0] == name)  # the connection before this one is gone
        self._record(link, welcome.role, welcome.epoch, None)
        self._evaluate(now)

    def link_down(self, name: str, now: float, *, silent_for: float = 0.0) -> None:
        """The connection on link ``name`` closed, or was silent for ``silent_for`` seconds (heartbeat loss)."""
        link = self._link(name)
        if link.state != "up":
            return
        link.heard_at = now - silent_for
        self._unacknowledge(lambda route: route[0] == name)
        if name == self._serving:
            self._lost_at = now - silent_for
            self._detected_at = now
        if link.reattaching:  # the replacing connection, still being opened, is the reconnect
            link.reattaching = False
            link.state = "connecting"
        else:
            link.state = "down"
            self._schedule_retry(link, now)
        logger.info("link %s down (silent for %.3f s)", name, silent_for)
        self._evaluate(now)

    def connect_failed(self, name: str, now: float) -> None:
        """The connection asked for by `Connect` could not be opened or was refused."""
        link = self._link(name)
        if link.reattaching or link.state == "connecting":
            if not link.reattaching:
                link.state = "down"
            link.reattaching = link.resuming_serving = False
            self._schedule_retry(link, now)
        self._evaluate(now)

    def role_announced(self, name: str, message: PlatformRole, now: float) -> None:
        """Link ``name`` delivered a platform.role (also one its session dropped for its stale epoch)."""
        link = self._link(name)
        link.heard_at = now
        link.instance = message.instance
        self._record(link, message.role, message.epoch, message.peer_up)
        self._evaluate(now)

    def epoch_seen(self, epoch: int, now: float) -> None:
        """Some message carried ``epoch``; a higher one fences off every instance still below it."""
        if epoch > self._highest:
            self._highest = epoch
            self._evaluate(now)

    def heard(self, name: str, now: float) -> None:
        """Something arrived on link ``name`` (bookkeeping only)."""
        self._link(name).heard_at = now

    # ----- desired state ----------------------------------------------------------------------

    def set_affiliations(self, groups: Iterable[str], selected: str | None) -> None:
        """The console's desired affiliation set, re-sent after every switch."""
        self._affiliation = AffiliationSet(id=0, groups=list(groups), selected=selected)

    def floor_wanted(self, call: str, priority: PriorityClass = "dispatcher", override: bool = False) -> None:
        """The user presses PTT in ``call``: should the serving instance change, re-request the floor."""
        self._floors[call] = FloorIntent(call, priority, override)

    def floor_released(self, call: str) -> None:
        self._floors.pop(call, None)

    # ----- commands ---------------------------------------------------------------------------

    def command_sent(self, request: Request, now: float, *, timeout: float | None = None) -> str | None:
        """The console issues a keyed command: returns the link to send it on now, or None when it is held
        (no serving instance yet, or a re-attach under way): it then goes out with the next `Restore` or
        fails with `CommandsFailed`. It stays outstanding until `command_answered`."""
        key = request.key
        if key is None:
            raise ValueError("a command needs an idempotency key")
        if key in self._commands:
            raise ValueError(f"command {key} is already outstanding")
        command = _Command(request, None if timeout is None else now + timeout)
        if self._offline_expired(now):
            reason = f"no platform instance could serve for {self._fail_after:g} s"
            self._events.append(CommandsFailed((key,), ErrorCode.UNAVAILABLE, reason))
            return None
        self._commands[key] = command
        route = self._route()
        if route is None:
            return None
        command.sent_on = route
        return route[0]

    def command_answered(self, key: str) -> None:
        """The command got its final outcome (an Ok, an Error reported to the caller, or the caller gave up)."""
        self._commands.pop(key, None)

    def command_refused(self, key: str, name: str, code: int, now: float, *, generation: int | None = None) -> bool:
        """Link ``name`` (connection ``generation``) answered the command with error ``code``.

        True: the refusal is absorbed and the command will be sent again (421/410: another instance must
        serve; 503: retry after a pause; or it came from a connection the command has since left).
        False: the refusal is final; the machine has forgotten the command."""
        command = self._commands.get(key)
        if command is None:
            return False
        route = command.sent_on
        if route is None or route[0] != name or (generation is not None and route[1] != generation):
            return True
        if code in _REROUTED:
            command.sent_on = command.retry_at = None
            self._link(name).refused = True
            logger.warning("link %s refused command %s with %d; not using it until it announces again",
                           name, key, code)
            self._evaluate(now)
            return True
        if code in _RETRIED:
            command.sent_on = None
            command.retry_at = now + min(self._retry_initial * 2 ** command.refusals, self._reconnect_max)
            command.refusals += 1
            return True
        del self._commands[key]
        return False

    # ----- time -------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        """When `handle_timer` should next be called, or None when nothing is due."""
        times = [link.retry_at for link in self._links.values() if link.retry_at is not None]
        times += [c.deadline for c in self._commands.values() if c.deadline is not None]
        if self._commands and self._serving is None and self._fail_after is not None \
                and self._offline_since is not None:
            times.append(self._offline_since + self._fail_after)
        if self._route() is not None:
            times += [c.retry_at for c in self._commands.values() if c.sent_on is None and c.retry_at is not None]
        return min(times) if times else None

    def handle_timer(self, now: float) -> None:
        """Fire what is due at ``now``: reconnects, re-attach retries, command deadlines and retries."""
        for link in self._links.values():
            if link.retry_at is None or link.retry_at > now:
                continue
            link.retry_at = None
            if link.state == "down":
                resume = self._serving_token if link.token is not None and link.token == self._serving_token \
                    else None
                link.state = "connecting"
                link.resuming_serving = resume is not None
                self._events.append(Connect(link.name, resume, False, link.attempts))
        expired = tuple(k for k, c in self._commands.items() if c.deadline is not None and c.deadline <= now)
        if expired:
            for key in expired:
                del self._commands[key]
            if self._serving is None:
                self._events.append(CommandsFailed(expired, ErrorCode.UNAVAILABLE, "no platform instance serves"))
            else:
                self._events.append(CommandsFailed(expired, ErrorCode.TIMEOUT, "no answer in time"))
        if self._commands and self._offline_expired(now):
            keys = tuple(self._commands)
            self._commands.clear()
            reason = f"no platform instance could serve for {self._fail_after:g} s"
            self._events.append(CommandsFailed(keys, ErrorCode.UNAVAILABLE, reason))
        self._evaluate(now)

    # ----- output -----------------------------------------------------------------------------

    def events(self) -> list[FailoverEvent]:
        """Events since the last call, in order."""
        events, self._events = self._events, []
        return events

    # ----- decisions --------------------------------------------------------------------------

    def _record(self, link: _Link, role: Role, epoch: int, peer_up: bool | None) -> None:
        """Accept an announcement unless its epoch is below the highest seen (a deposed instance)."""
        if epoch < self._highest:
            self._events.append(StaleAnnouncement(link.name, epoch, self._highest))
            return
        self._highest = epoch
        if peer_up is None:  # a welcome: it does not say, so keep what the last announcement said
            peer_up = link.peer_up and (link.role, link.epoch) == (role, epoch)
        link.role, link.epoch, link.peer_up = role, epoch, peer_up
        link.refused = False

    def _evaluate(self, now: float) -> None:
        """Re-decide after any input: split brain, the serving instance, then what the serving link needs."""
        self._update_split()
        choice = self._choose()
        current = None if self._serving is None else (self._serving, self._via_standby)
        if choice != current:
            self._switch(choice, now)
        name = self._serving
        if name is None or not self.commands_allowed:
            return
        link = self._links[name]
        if link.reattaching:
            return
        if self._needs_reattach(link):
            if link.retry_at is None:
                link.reattaching = True
                link.resuming_serving = True
                self._events.append(Connect(name, self._serving_token, True, link.attempts))
        elif self._restored != (name, link.generation):
            self._restore(link)
        else:
            self._resend_due(link, now)

    def _update_split(self) -> None:
        if self._split is not None:
            names, epoch = self._split
            still = [n for n in names if (self._links[n].role, self._links[n].epoch) == ("active", epoch)]
            if epoch < self._highest or len(still) < 2:
                self._split = None
                logger.warning("split brain at epoch %d resolved", epoch)
                self._events.append(SplitBrainCleared(epoch))
        if self._split is None:
            actives = tuple(link.name for link in self._links.values()
                            if link.state == "up" and link.role == "active" and link.epoch == self._highest)
            if len(actives) >= 2:
                self._split = (actives, self._highest)
                logger.error("split brain: %s all announce active at epoch %d", ", ".join(actives), self._highest)
                self._events.append(SplitBrain(actives, self._highest))

    def _choose(self) -> tuple[str, bool] | None:
        """The reachable active at the highest epoch, else a reachable standby there with its peer link up."""
        usable = [link.name for link in self._links.values()
                  if link.state == "up" and not link.refused and link.epoch == self._highest]
        actives = [n for n in usable if self._links[n].role == "active"]
        if actives:
            return (self._serving if self._serving in actives else actives[0]), False
        if self._split is not None or any(link.state == "connecting" and link.generation == 0 == link.attempts
                                          for link in self._links.values()):
            return None  # at start, settle for a standby only once every first attempt has had its answer
        standbys = [n for n in usable if self._links[n].role == "standby" and self._links[n].peer_up]
        if standbys:
            return (self._serving if self._serving in standbys else standbys[0]), True
        return None

    def _switch(self, choice: tuple[str, bool] | None, now: float) -> None:
        previous = self._serving
        if choice is None:
            self._serving, self._via_standby = None, False
            self._offline_since = now
            if self._detected_at is None:  # no loss reported: deposed, refused or fenced off
                self._detected_at = now
            logger.warning("no platform instance can serve (was %s)", previous)
            self._events.append(Offline(previous, self._lost_at, self._detected_at, now))
            return
        name, via_standby = choice
        link = self._links[name]
        if previous is None:
            previous = self._last_served
        self._serving, self._via_standby, self._last_served = name, via_standby, name
        # Whatever changed (the instance, or the same link's standby promoted under it), state the desired
        # affiliations and floors again there: what was sent through a standby may have been refused.
        self._restored = None
        self._switched_at = now
        self._offline_since = None
        if self._serving_token is None:
            self._serving_token = link.token
        assert link.epoch is not None
        logger.info("serving instance now %s (%s, epoch %d)%s", name, link.instance, link.epoch,
                    " through the standby" if via_standby else "")
        self._events.append(ServingChanged(name, link.epoch, via_standby, previous, self._lost_at,
                                           self._detected_at, now))
        self._lost_at = self._detected_at = None

    def _needs_reattach(self, link: _Link) -> bool:
        """The serving link does not carry the serving session, or the platform attached it elsewhere."""
        if self._serving_token is None:
            return False
        if link.token != self._serving_token:
            return True
        return self._follow_attachment and self._last_hello != link.name

    def _restore(self, link: _Link) -> None:
        route = (link.name, link.generation)
        replay: list[Request] = []
        for command in self._commands.values():
            if command.sent_on != route:
                command.sent_on, command.retry_at = route, None
                replay.append(command.request)
        self._restored = route
        self._events.append(Restore(link.name, tuple(replay), self._affiliation, tuple(self._floors.values())))

    def _resend_due(self, link: _Link, now: float) -> None:
        route = (link.name, link.generation)
        due: list[Request] = []
        for command in self._commands.values():
            if command.sent_on is None and (command.retry_at is None or command.retry_at <= now):
                command.sent_on, command.retry_at = route, None
                due.append(command.request)
        if due:
            self._events.append(Resend(link.name, tuple(due)))

    def _route(self) -> tuple[str, int] | None:
        """The connection to send a command on now, if the serving link is restored and commands may flow."""
        name = self._serving
        if name is None or not self.commands_allowed:
            return None
        link = self._links[name]
        route = (name, link.generation)
        if link.reattaching or self._restored != route:
            return None
        return route

    def _unacknowledge(self, which: Callable[[tuple[str, int]], bool]) -> None:
        for command in self._commands.values():
            if command.sent_on is not None and which(command.sent_on):
                command.sent_on = None

    def _offline_expired(self, now: float) -> bool:
        return (self._serving is None and self._fail_after is not None and self._offline_since is not None
                and now >= self._offline_since + self._fail_after)

    def _schedule_retry(self, link: _Link, now: float) -> None:
        delay = min(self._reconnect_initial * 2 ** link.attempts, self._reconnect_max)
        if self._jitter is not None:
            delay *= 1 - 0.25 * self._jitter()
        link.attempts += 1
        link.retry_at = now + delay

    def _link(self, name: str) -> _Link:
        try:
            return self._links[name]
        except KeyError:
            raise ValueError(f"unknown instance link {name!r}") from None


__all__ = [
    "CommandsFailed", "Connect", "FailoverEvent", "FailoverMachine", "FloorIntent", "LinkState", "LinkView",
    "Offline", "Resend", "Restore", "ServingChanged", "SplitBrain", "SplitBrainCleared", "StaleAnnouncement",
]

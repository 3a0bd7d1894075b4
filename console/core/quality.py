"""How well the desk's links and media work, over time: the data of the quality plots, and the warnings.

`QualityMonitor` samples, every ``quality.sample_s`` seconds, each platform instance's heartbeat round trip and
link state (from `World.links`, which the desk's link layer keeps current); it takes the media engine's per
session stats as the desk's media reads them (once a second: `take_media_stats`), turning counters into rates:
bitrate, frame rate, jitter and packet loss (lost on the way, before retransmission repairs it: what the radio
link loses) of every call (voice link) and video feed; and it takes each floor
access time the desk measures (KPI1, PTT pressed to floor granted: `floor_access`). Every quantity is a bounded
`Series` (``quality.history_s`` seconds), so a plot reads numpy arrays and nothing grows without end.

Thresholds (``quality.*`` in the settings file) raise a warning: a *local alarm* in the `World` (the alarms pane
shows it beside the platform's; the dispatcher can acknowledge or clear it) and an ``alarm_raised`` event in the
event log. A warning is raised once a value stays past its threshold for ``raise_after_s`` and cleared (with an
``alarm_cleared`` event) once it stays back inside it by the ``hysteresis`` margin for ``clear_after_s``; a floor
access time is one event, judged at once. A feed that ends clears its warnings.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from msgspec.structs import replace

from console.core.eventlog import EventLog
from console.core.quality_settings import QualitySettings
from console.core.series import Series
from console.core.world import World
from media.commands import SessionStats, StreamStats
from protocols import messages as wire

logger = logging.getLogger(__name__)

__all__ = ["ALARM_PREFIX", "LINK_STATE_CODES", "FeedHistory", "LinkHistory", "Metric", "QualityMonitor"]

#: ids of the desk's own quality alarms start with this (the platform's never do)
ALARM_PREFIX = "desk-quality:"
#: how link states are plotted
LINK_STATE_CODES = {"up": 2.0, "connecting": 1.0, "down": 0.0}
Metric = Literal["rtt", "loss", "jitter", "frame_rate", "floor_access"]
FeedKind = Literal["video", "voice"]

#: per metric: the setting holding its threshold, its unit, what it is called, whether lower is worse
_METRICS: dict[str, tuple[str, str, str, bool]] = {
    "rtt": ("rtt_ms", "ms", "heartbeat round trip", False),
    "loss": ("loss_percent", "%", "packet loss", False),
    "jitter": ("jitter_ms", "ms", "jitter", False),
    "frame_rate": ("min_frame_rate", "fps", "frame rate", True),
    "floor_access": ("floor_access_ms", "ms", "floor access time", False),
}


@dataclass
class LinkHistory:
    """One platform instance: heartbeat round trip (ms) and link state (`LINK_STATE_CODES`) over time."""

    instance: str
    rtt_ms: Series
    state: Series


@dataclass
class _Counters:
    when: float
    bytes: int
    received: int
    lost: int
    nacked: int


@dataclass
class FeedHistory:
    """One call (voice link) or video feed: bitrate (kbit/s), frame rate, jitter (ms), loss (%) over time."""

    session: str
    source: str
    kind: FeedKind
    bitrate_kbps: Series
    frame_rate: Series
    jitter_ms: Series
    loss_percent: Series
    #: wall time the feed ended (None while it runs)
    ended: float | None = None
    last: _Counters | None = field(default=None, repr=False)


@dataclass(frozen=True)
class _Subject:
    """What a warning is about: ``metric`` of ``subject`` (an instance, a session, the desk), shown as coming from
    ``origin`` (an instance or terminal id) and described as ``label``."""

    metric: str
    subject: str
    origin: str
    label: str


@dataclass
class _Watch:
    """Where one metric of one subject stands against its threshold."""

    raised: bool = False
    over_since: float | None = None
    under_since: float | None = None


class QualityMonitor:
    """Samples and warnings of one desk (see the module docstring).

    ``settings()`` gives the `QualitySettings` in force (read at every sample: thresholds may change at run
    time); ``me()`` names the dispatcher for the event log.
    """

    def __init__(self, world: World, log: EventLog, *, settings: Callable[[], QualitySettings] = QualitySettings,
                 clock: Callable[[], float] = time.time) -> None:
        self.world = world
        self.log = log
        self.settings = settings
        self.clock = clock
        self.links: dict[str, LinkHistory] = {}
        self.feeds: dict[str, FeedHistory] = {}
        self.floor_access_ms = self._series()
        #: bumped by every sample: plots redraw only when it moved
        self.version = 0
        self._watches: dict[tuple[str, str], _Watch] = {}

    def _series(self) -> Series:
        settings = self.settings()
        return Series(max(16, math.ceil(settings.history_s / min(settings.sample_s, 1.0)) + 1))

    # ----- sampling ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Sample the platform links every ``sample_s`` until cancelled."""
        while True:
            try:
                self.sample_links()
            except Exception:  # a bug here must not stop the sampling
                logger.exception("quality: link sample failed")
            await asyncio.sleep(self.settings().sample_s)

    def sample_links(self, now: float | None = None) -> None:
        """One sample of every platform instance's round trip and link state."""
        now = self.clock() if now is None else now
        for name, link in list(self.world.links.items()):
            if "://" in name:
                continue  # an instance not yet named: it shows under its name once it said it
            history = self.links.get(name)
            if history is None:
                history = self.links[name] = LinkHistory(name, self._series(), self._series())
            up = link.state == "up"
            rtt = link.rtt * 1000.0 if up and link.rtt is not None else math.nan
            history.rtt_ms.append(now, rtt)
            history.state.append(now, LINK_STATE_CODES.get(link.state, math.nan))
            self._judge(_Subject("rtt", name, name, f"platform instance {name}"), None if math.isnan(rtt) else rtt,
                        now)
        self.version += 1

    def take_media_stats(self, stats: Mapping[str, SessionStats], now: float | None = None) -> None:
        """The engine's stats of every media session now (what `MediaEngine.stats` returns)."""
        now = self.clock() if now is None else now
        for name, entry in stats.items():
            feed = self.feeds.get(name)
            if feed is None:
                source, kind = self._describe(name)
                feed = self.feeds[name] = FeedHistory(name, source, kind, self._series(), self._series(),
                                                      self._series(), self._series())
            self._sample_feed(feed, entry, now)
        for name, feed in list(self.feeds.items()):
            if name not in stats and feed.ended is None:
                self._ended(feed, now)
            elif feed.ended is not None and now - feed.ended > self.settings().history_s:
                del self.feeds[name]
        self.version += 1

    def floor_access(self, seconds: float, call: str | None = None, now: float | None = None) -> None:
        """The desk's PTT press in ``call`` was granted after ``seconds`` (KPI1)."""
        now = self.clock() if now is None else now
        value = seconds * 1000.0
        self.floor_access_ms.append(now, value)
        self._judge(_Subject("floor_access", "desk", self.world.me or "desk", "this desk's PTT"), value, now,
                    at_once=True)
        self.version += 1

    def _describe(self, session: str) -> tuple[str, FeedKind]:
        voice = self.world.voice_links.get(session)
        if voice is not None:
            return voice.source, "voice"
        video = self.world.video.get(session)
        return (video.source if video is not None else session), "video"

    def _sample_feed(self, feed: FeedHistory, entry: SessionStats, now: float) -> None:
        streams = [s for s in (entry.video, entry.audio) if s is not None]
        counters = _Counters(now, entry.bytes_received, sum(s.packets_received for s in streams),
                             sum(s.packets_lost for s in streams), sum(s.packets_nacked for s in streams))
        feed.ended = None
        previous, feed.last = feed.last, counters
        main: StreamStats | None = entry.video if feed.kind == "video" else entry.audio
        fps = main.fps if main is not None else math.nan
        jitter = main.jitter_ms if main is not None and main.packets_received else math.nan
        if previous is None or counters.when <= previous.when:
            return  # rates need two samples
        seconds = counters.when - previous.when
        bitrate = max(0, counters.bytes - previous.bytes) * 8 / 1000 / seconds
        received = max(0, counters.received - previous.received)
        lost = max(0, counters.lost - previous.lost)
        # lost on the way: what stayed lost, or (video) what had to be asked again, whichever is more
        missing = max(lost, counters.nacked - previous.nacked)
        loss = min(100.0, 100.0 * missing / (received + lost)) if received + lost else math.nan
        feed.bitrate_kbps.append(now, bitrate)
        feed.frame_rate.append(now, fps)
        feed.jitter_ms.append(now, jitter if received else math.nan)
        feed.loss_percent.append(now, loss)
        label = f"{'video' if feed.kind == 'video' else 'voice'} from {feed.source}"
        self._judge(_Subject("loss", feed.session, feed.source, label), None if math.isnan(loss) else loss, now)
        self._judge(_Subject("jitter", feed.session, feed.source, label), jitter if received else None, now)
        if feed.kind == "video":
            live = entry.state == "connected"
            self._judge(_Subject("frame_rate", feed.session, feed.source, label), fps if live else None, now)

    def _ended(self, feed: FeedHistory, now: float) -> None:
        feed.ended = now
        for series in (feed.bitrate_kbps, feed.frame_rate, feed.jitter_ms, feed.loss_percent):
            series.append(now, math.nan)  # the line stops here
        for metric in ("loss", "jitter", "frame_rate"):
            watch = self._watches.pop((metric, feed.session), None)
            if watch is not None and watch.raised:
                self._clear_alarm(metric, feed.session, "the feed ended")

    # ----- thresholds -------------------------------------------------------------------------

    def threshold(self, metric: str) -> float:
        """The threshold of ``metric`` in force (0: its warning is off)."""
        return float(getattr(self.settings(), _METRICS[metric][0]))

    def _judge(self, about: _Subject, value: float | None, now: float, *, at_once: bool = False) -> None:
        """Move the warning of ``about`` on with a new value (None: no evidence either way)."""
        settings = self.settings()
        metric, subject = about.metric, about.subject
        threshold = self.threshold(metric)
        key = (metric, subject)
        watch = self._watches.get(key)
        if threshold <= 0:
            if watch is not None and watch.raised:
                self._clear_alarm(metric, subject, "warning turned off")
            self._watches.pop(key, None)
            return
        if value is None or math.isnan(value):
            return
        if watch is None:
            watch = self._watches[key] = _Watch()
        lower_is_worse = _METRICS[metric][3]
        margin = settings.hysteresis * threshold
        past = value < threshold if lower_is_worse else value > threshold
        back = value > threshold + margin if lower_is_worse else value < threshold - margin
        raise_after = 0.0 if at_once else settings.raise_after_s
        clear_after = 0.0 if at_once else settings.clear_after_s
        if not watch.raised:
            if not past:
                watch.over_since = None
                return
            watch.over_since = now if watch.over_since is None else watch.over_since
            if now - watch.over_since >= raise_after:
                watch.raised, watch.under_since = True, None
                self._raise_alarm(about, value, threshold, now)
            return
        if not back:
            watch.under_since = None
            return
        watch.under_since = now if watch.under_since is None else watch.under_since
        if now - watch.under_since >= clear_after:
            watch.raised, watch.over_since = False, None
            self._clear_alarm(metric, subject, f"{_METRICS[metric][2]} back to {_figure(value)} "
                                               f"{_METRICS[metric][1]}")

    # ----- alarms -----------------------------------------------------------------------------

    @staticmethod
    def alarm_id(metric: str, subject: str) -> str:
        return f"{ALARM_PREFIX}{metric}:{subject}"

    def _raise_alarm(self, about: _Subject, value: float, threshold: float, now: float) -> None:
        _setting, unit, name, lower_is_worse = _METRICS[about.metric]
        sign = "<" if lower_is_worse else ">"
        alarm = wire.AlarmInfo(id=self.alarm_id(about.metric, about.subject), source="equipment", origin=about.origin,
                               severity="minor", code=f"quality.{about.metric}",
                               text=f"{name} of {about.label}: {_figure(value)} {unit} {sign} {_figure(threshold)} "
                                    f"{unit}", raised_ms=int(now * 1000))
        logger.warning("quality warning: %s", alarm.text)
        self.world.set_local_alarm(alarm)
        self._record("alarm_raised", alarm, "desk", value=value, threshold=threshold)

    def _clear_alarm(self, metric: str, subject: str, why: str) -> None:
        alarm = self.world.alarms.get(self.alarm_id(metric, subject))
        if alarm is None:
            return  # cleared by the dispatcher meanwhile
        cleared = replace(alarm, state="cleared", text=f"{alarm.text} — {why}")
        logger.info("quality warning cleared: %s", cleared.text)
        self.world.set_local_alarm(cleared)
        self._record("alarm_cleared", cleared, "desk")

    def _record(self, kind: str, alarm: wire.AlarmInfo, actor: str, **extra: float) -> None:
        summary: dict[str, object] = {"severity": alarm.severity, "source": alarm.source, "code": alarm.code,
                                      "text": alarm.text, "origin": alarm.origin, "state": alarm.state, "local": True}
        summary.update({k: round(v, 3) for k, v in extra.items()})
        self.log.record(kind, actor=actor, alarm=alarm.id,
                        terminal=alarm.origin if alarm.origin in self.world.terminals else None, summary=summary,
                        data=alarm)

    def acknowledge(self, alarm_id: str, by: str) -> str:
        """The dispatcher acknowledged a local alarm; its state (KeyError: no such local alarm)."""
        alarm = self._local(alarm_id)
        if alarm.state == "raised":
            alarm = replace(alarm, state="acknowledged", acknowledged_by=by)
            self.world.set_local_alarm(alarm)
            self._record("alarm_acknowledged", alarm, by)
        return alarm.state

    def clear(self, alarm_id: str, by: str) -> str:
        """The dispatcher cleared a local alarm: it goes (and is raised again if the value stays past its
        threshold for ``raise_after_s``)."""
        alarm = replace(self._local(alarm_id), state="cleared")
        self.world.set_local_alarm(alarm)
        self._record("alarm_cleared", alarm, by)
        metric, _sep, subject = alarm_id.removeprefix(ALARM_PREFIX).partition(":")
        self._watches.pop((metric, subject), None)
        return "cleared"

    def _local(self, alarm_id: str) -> wire.AlarmInfo:
        alarm = self.world.alarms.get(alarm_id)
        if alarm is None or not self.world.is_local_alarm(alarm_id):
            raise KeyError(f"no local alarm {alarm_id}")
        return alarm


def _figure(value: float) -> str:
    """A value as a dispatcher reads it: no decimals from 10 up, at most one below (``5``, ``4.2``, ``18``)."""
    text = f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}"
    return text.removesuffix(".0")


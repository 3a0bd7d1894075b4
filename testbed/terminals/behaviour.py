"""What simulated terminals do on their own: talk bursts, status changes, texts, emergencies and alarms.

A `Behaviour` turns a seed and per-kind rates (mean actions per hour per terminal) into one reproducible
`ActionStream` per terminal: a Poisson process whose times are seconds after the stream's start. No I/O
and no clock here; `SimTerminal.perform` carries the actions out and the fleet paces them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from protocols.messages import AlarmSource, Severity

# ----- actions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TalkBurst:
    """Press PTT in the terminal's home group, talk for ``seconds``, release."""

    at: float
    seconds: float


@dataclass(frozen=True)
class StatusChange:
    """Send a pre-defined status code (MCData status)."""

    at: float
    code: int


@dataclass(frozen=True)
class SendText:
    """Send a short text to the terminal's home group."""

    at: float
    text: str


@dataclass(frozen=True)
class RaiseEmergency:
    """Raise an emergency alert with a call, talk ``talk_seconds``, cancel after ``cancel_after`` seconds."""

    at: float
    talk_seconds: float
    cancel_after: float


@dataclass(frozen=True)
class RaiseAlarm:
    """Report an alarm from the terminal's equipment or video analytics."""

    at: float
    source: AlarmSource
    severity: Severity
    code: str
    text: str


Action = TalkBurst | StatusChange | SendText | RaiseEmergency | RaiseAlarm


# ----- rates -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    """Mean number of each action per hour, for one terminal."""

    talk: float = 0.0
    status: float = 0.0
    text: float = 0.0
    emergency: float = 0.0
    alarm: float = 0.0

    def scaled(self, factor: float) -> Rates:
        return Rates(self.talk * factor, self.status * factor, self.text * factor,
                     self.emergency * factor, self.alarm * factor)

    @property
    def total(self) -> float:
        return self.talk + self.status + self.text + self.emergency + self.alarm


@dataclass(frozen=True)
class TalkDurations:
    """Talk-burst lengths: log-normal around ``median`` seconds, clipped to [``shortest``, ``longest``]."""

    median: float = 4.0
    sigma: float = 0.6
    shortest: float = 1.0
    longest: float = 25.0

    def draw(self, rng: random.Random) -> float:
        value = rng.lognormvariate(math.log(self.median), self.sigma)
        return round(min(self.longest, max(self.shortest, value)), 2)


#: Rates per terminal kind. Fixed radios and trains talk often; cameras only raise analytics alarms.
DEFAULT_RATES: Mapping[str, Rates] = {
    "station": Rates(talk=6.0, status=2.0, text=1.0, emergency=0.02, alarm=1.0),
    "train": Rates(talk=8.0, status=4.0, text=1.0, emergency=0.02, alarm=0.3),
    "handset": Rates(talk=10.0, status=3.0, text=2.0, emergency=0.05),
    "recorder": Rates(talk=4.0, status=2.0, text=0.5, emergency=0.05),
    "camera": Rates(alarm=0.5),
    "gateway": Rates(alarm=0.5),
}

#: Pre-defined status codes (MCData status) a terminal of each kind sends.
STATUS_CODES: Mapping[str, tuple[int, ...]] = {
    "station": (10, 11, 12, 19),  # platform clear, crowded, closed, normal
    "train": (20, 21, 22, 23, 29),  # departed, arrived, held, door fault, normal
    "handset": (1, 2, 3, 4, 5),  # available, en route, on site, busy, need assistance
    "recorder": (1, 2, 3, 4, 5),
}

_TEXTS: Mapping[str, tuple[str, ...]] = {
    "station": ("Platform clear", "Passenger flow heavy on the up platform",
                "Lift out of order, staff on site", "站台已清客"),
    "train": ("Held at signal", "Doors closed, departing", "Passenger assistance needed in car 3",
              "列车正点运行"),
    "handset": ("On my way", "Arrived on site", "Need a second person here", "Task done", "收到"),
    "recorder": ("Patrol started", "Patrol finished", "Recording incident", "巡检完成"),
}

_ALARMS: Mapping[AlarmSource, tuple[tuple[str, str], ...]] = {
    "equipment": (("PSD-FAULT", "Platform screen door fault"), ("ESC-STOP", "Escalator stopped"),
                  ("FAN-FAULT", "Tunnel ventilation fan fault"), ("PWR-LOW", "Backup power low")),
    "video_analytics": (("INTRUSION", "Person on the track"), ("CROWDING", "Crowding above threshold"),
                        ("LEFT-OBJECT", "Unattended object"), ("FALL", "Person fallen")),
}

_SEVERITIES: tuple[Severity, ...] = ("info", "minor", "major", "critical")
_SEVERITY_WEIGHTS = (3, 4, 2, 1)


def alarm_source_of(kind: str) -> AlarmSource:
    """Cameras report video analytics; everything else reports its own equipment."""
    return "video_analytics" if kind == "camera" else "equipment"


# ----- streams -----------------------------------------------------------------------------------


class ActionStream:
    """One terminal's actions in time order, drawn lazily from its own seeded generator."""

    def __init__(self, kind: str, rates: Rates, rng: random.Random, durations: TalkDurations) -> None:
        self.kind = kind
        self.rates = rates
        self._rng = rng
        self._durations = durations
        self._t = 0.0

    def __iter__(self) -> Iterator[Action]:
        while True:
            action = self.next()
            if action is None:
                return
            yield action

    def next(self) -> Action | None:
        """The next action (``at`` in seconds after the stream's start), or None if this kind does nothing."""
        total = self.rates.total
        if total <= 0.0:
            return None
        rng = self._rng
        self._t += rng.expovariate(total / 3600.0)
        at = round(self._t, 3)
        pick = rng.random() * total
        rates = self.rates
        if pick < rates.talk:
            return TalkBurst(at, self._durations.draw(rng))
        pick -= rates.talk
        if pick < rates.status:
            codes = STATUS_CODES.get(self.kind, (1,))
            return StatusChange(at, rng.choice(codes))
        pick -= rates.status
        if pick < rates.text:
            texts = _TEXTS.get(self.kind, ("OK",))
            return SendText(at, rng.choice(texts))
        pick -= rates.text
        if pick < rates.emergency:
            return RaiseEmergency(at, talk_seconds=round(rng.uniform(3.0, 10.0), 2),
                                  cancel_after=round(rng.uniform(20.0, 60.0), 2))
        source = alarm_source_of(self.kind)
        code, text = rng.choice(_ALARMS[source])
        severity = rng.choices(_SEVERITIES, _SEVERITY_WEIGHTS)[0]
        return RaiseAlarm(at, source, severity, code, text)


@dataclass(frozen=True)
class Behaviour:
    """Seeded generator of terminal behaviour; ``rate`` scales every kind's rates (0, or
    ``enabled=False``: terminals only do what they are told)."""

    seed: int = 0
    rate: float = 1.0
    enabled: bool = True
    rates: Mapping[str, Rates] = field(default_factory=lambda: dict(DEFAULT_RATES))
    durations: TalkDurations = TalkDurations()

    @classmethod
    def off(cls) -> Behaviour:
        """Terminals that only do what a test or scenario tells them."""
        return cls(enabled=False)

    def with_rate(self, rate: float) -> Behaviour:
        return replace(self, rate=rate)

    def rates_for(self, kind: str) -> Rates:
        if not self.enabled or self.rate <= 0.0:
            return Rates()
        return self.rates.get(kind, Rates()).scaled(self.rate)

    def stream(self, terminal_id: str, kind: str) -> ActionStream:
        """The actions of one terminal; the same seed and id always give the same stream."""
        rng = random.Random(f"{self.seed}/{terminal_id}")
        return ActionStream(kind, self.rates_for(kind), rng, self.durations)

    def schedule(self, terminal_id: str, kind: str, until: float) -> list[Action]:
        """Every action of one terminal in the first ``until`` seconds."""
        actions: list[Action] = []
        for action in self.stream(terminal_id, kind):
            if action.at > until:
                break
            actions.append(action)
        return actions

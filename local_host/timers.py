"""Timer triggers, as the Functions host runs them: each timer function of the app is called at the
seconds its NCRONTAB schedule names (``{second} {minute} {hour} {day} {month} {day-of-week}``, UTC),
never while its previous call is still running (the host's timers are singletons).

Fields take ``*``, numbers, ranges ``a-b``, steps ``*/n`` and ``a-b/n``, and lists of them; names
(``MON``, ``JAN``) and ``run_on_startup`` are not read. An exception in a timer function is logged,
as the host logs a failed invocation.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import azure.functions as func
from azure.functions.decorators.timer import TimerTrigger

logger = logging.getLogger("local_host")

# (lowest, highest) of each field, in schedule order; day of week 0 is Sunday.
_FIELDS = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


@dataclass(frozen=True)
class Schedule:
    """The seconds, minutes, hours, days, months and days of week a schedule names."""

    allowed: tuple[frozenset[int], ...]

    @classmethod
    def parse(cls, text: str) -> Schedule:
        fields = text.split()
        if len(fields) != len(_FIELDS):
            raise ValueError(f"schedule {text!r}: six fields expected (second minute hour day month day-of-week)")
        return cls(tuple(_values(part, low, high) for part, (low, high) in zip(fields, _FIELDS, strict=True)))

    def matches(self, moment: datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7  # Python's Monday 0 -> cron's Sunday 0
        units = (moment.second, moment.minute, moment.hour, moment.day, moment.month, weekday)
        return all(unit in allowed for unit, allowed in zip(units, self.allowed, strict=True))


def _values(part: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for item in part.split(","):
        span, _, step_text = item.partition("/")
        if span == "*":
            first, last = low, high
        else:
            first_text, _, last_text = span.partition("-")
            first, last = int(first_text), int(last_text or first_text)  # ValueError on a name
        step = int(step_text) if step_text else 1
        if not low <= first <= last <= high or step < 1:
            raise ValueError(f"schedule field {part!r}: outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


class LocalTimerRequest(func.TimerRequest):
    """What a timer function is given; the local host never runs a missed occurrence late."""

    @property
    def past_due(self) -> bool:
        return False


@dataclass
class TimerFunction:
    name: str
    schedule: Schedule
    argument: str  # the parameter the TimerRequest is passed as
    user_function: Callable[..., object]
    running: threading.Lock = field(default_factory=threading.Lock)


def timer_functions(functions: Iterable[func.Function]) -> list[TimerFunction]:
    """The timer-triggered functions among ``functions`` (``app.get_functions()``)."""
    timers = []
    for function in functions:
        trigger = function.get_trigger()
        if isinstance(trigger, TimerTrigger):
            schedule = Schedule.parse(str(trigger.schedule))
            timers.append(
                TimerFunction(str(function.get_function_name()), schedule, trigger.name, function.get_user_function())
            )
    return timers


class Timers:
    """Calls each timer function when its schedule matches the current second, from threads of its own."""

    def __init__(self, timers: list[TimerFunction], clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._timers = timers
        self._clock = clock
        self._stopped = threading.Event()

    def tick(self, moment: datetime) -> list[threading.Thread]:
        """Start the timers due at ``moment`` (whole second) that are not running; their threads."""
        started = []
        for timer in self._timers:
            if timer.schedule.matches(moment) and timer.running.acquire(blocking=False):
                thread = threading.Thread(target=self._call, args=(timer,), name=f"timer {timer.name}", daemon=True)
                thread.start()
                started.append(thread)
        return started

    def run(self) -> None:
        """Tick once a second until ``stop``."""
        last = None
        while not self._stopped.is_set():
            moment = self._clock().replace(microsecond=0)
            if moment != last:
                self.tick(moment)
                last = moment
            time.sleep(0.2)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="timers", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stopped.set()

    @staticmethod
    def _call(timer: TimerFunction) -> None:
        try:
            timer.user_function(**{timer.argument: LocalTimerRequest()})
        except Exception:
            logger.exception("Timer function %s failed", timer.name)
        finally:
            timer.running.release()

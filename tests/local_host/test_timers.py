"""The local host runs timer triggers as the Functions host does: at the seconds their NCRONTAB
schedule names, in UTC, never twice at once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import azure.functions as func
import pytest

from local_host.timers import Schedule, Timers, timer_functions


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_every_minute_matches_second_zero_of_each_minute_only():
    schedule = Schedule.parse("0 * * * * *")

    assert schedule.matches(at("2026-12-02T10:15:00"))
    assert not schedule.matches(at("2026-12-02T10:15:01"))


def test_a_daily_schedule_matches_its_second_of_the_day_only():
    schedule = Schedule.parse("0 17 3 * * *")

    assert schedule.matches(at("2026-12-02T03:17:00"))
    assert not schedule.matches(at("2026-12-02T03:18:00"))
    assert not schedule.matches(at("2026-12-02T04:17:00"))


def test_steps_ranges_lists_and_days_of_week_are_read_as_ncrontab_reads_them():
    schedule = Schedule.parse("*/15 0,30 9-17/4 * * 1-5")  # 2026-12-02 is a Wednesday, 12-06 a Sunday

    assert schedule.matches(at("2026-12-02T13:30:45"))
    assert not schedule.matches(at("2026-12-02T13:30:50"))
    assert not schedule.matches(at("2026-12-02T11:30:45"))
    assert not schedule.matches(at("2026-12-06T13:30:45"))


@pytest.mark.parametrize("text", ["0 * * * *", "0 * * * * MON", "60 * * * * *", "*/0 * * * * *"])
def test_a_schedule_it_cannot_read_is_refused(text):
    with pytest.raises(ValueError):
        Schedule.parse(text)


def app_with_timer(schedule: str, body) -> func.FunctionApp:
    app = func.FunctionApp()

    @app.timer_trigger(schedule=schedule, arg_name="timer", run_on_startup=False)
    def tick(timer: func.TimerRequest) -> None:
        body(timer)

    @app.route(route="x")
    def page(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("")

    return app


def test_a_timer_function_is_called_with_a_timer_request_when_its_schedule_matches():
    calls: list[func.TimerRequest] = []
    timers = Timers(timer_functions(app_with_timer("0 * * * * *", calls.append).get_functions()))

    for thread in [*timers.tick(at("2026-12-02T10:15:01")), *timers.tick(at("2026-12-02T10:16:00"))]:
        thread.join()

    assert len(calls) == 1 and calls[0].past_due is False


def test_a_timer_still_running_is_not_started_again():
    release = threading.Event()
    timers = Timers(timer_functions(app_with_timer("* * * * * *", lambda _: release.wait(10)).get_functions()))

    first = timers.tick(at("2026-12-02T10:15:00"))
    while_running = timers.tick(at("2026-12-02T10:15:01"))
    release.set()
    for thread in first:
        thread.join()
    after = timers.tick(at("2026-12-02T10:15:02"))
    for thread in after:
        thread.join()

    assert (len(first), len(while_running), len(after)) == (1, 0, 1)


def test_running_timers_call_a_function_each_second_its_schedule_names():
    calls: list[float] = []
    timers = Timers(
        timer_functions(app_with_timer("* * * * * *", lambda _: calls.append(time.monotonic())).get_functions())
    )

    timers.start()
    time.sleep(2.5)
    timers.stop()

    assert 2 <= len(calls) <= 4

"""Calls released together, to race requests on the same resources."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run every call in a thread of its own, released together; their results in order.

    An exception in a call is re-raised here (an assertion inside a thread would be lost).
    """
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(position: int, call: Callable[[], Any]) -> None:
        start.wait()
        try:
            results[position] = call()
        except BaseException as problem:
            errors.append(problem)

    threads = [threading.Thread(target=run, args=(position, call)) for position, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racing request did not finish within 120 s"
    if errors:
        raise errors[0]
    return results


def letter_case_variant(text: str, variant: int) -> str:
    """``text`` with the letters at the bit positions set in ``variant`` upper-cased."""
    return "".join(char.upper() if variant >> position & 1 else char for position, char in enumerate(text))

"""The soak's mixed Entra-like traffic through 1, 2 and 4 instances on one storage account.

    .venv/bin/python -m bench.scale_out [--instances 1 2 4] [--seconds 30] [--clients 8]
                                        [--order round-robin|random] [--kill-every SECONDS] [--json]

For each instance count: fresh instances (``bench.instances``) on a fresh table, counting their
storage requests (``SCIM_COUNT_STORAGE_REQUESTS=1``), the soak's clients (``bench.soak``) with
every request sent to the next instance (or a random one), then the soak's checks of every
answer and of the stored rows. Prints throughput, latency, errors and, per operation, how many
storage requests each request took, so that the counts at 1, 2 and 4 instances can be compared.
With ``--kill-every``, an instance chosen at random is killed (SIGKILL) and replaced that often;
the clients resend a request whose connection dropped to another instance, as Entra retries,
and every answer and the stored rows must still be right. Each run is bounded by ``--seconds``
(at most 60) and loopback only.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading

from bench import soak
from bench.harness import COUNTING, UNTHROTTLED
from bench.instances import Instances, instances, warm_up

TENANT = "bench"
MAX_SECONDS = 60


def run(
    instance_count: int, *, seconds: float, clients: int, order: str, seed: int = 1, kill_every: float | None = None
) -> dict:
    """One run through ``instance_count`` instances; the soak's figures plus the instance count
    and, with ``kill_every``, the number of instances killed."""
    # It measures instances, not a tenant's fair share: lifted.
    with instances(instance_count, [TENANT], {**COUNTING, **UNTHROTTLED}) as group:
        warm_up(group, TENANT)
        spread = group.spread(TENANT, order, seed)
        killer = Killer(group, kill_every, random.Random(seed)) if kill_every else None
        try:
            figures, tally = soak.drive(
                spread,
                group.table_name,
                seconds=seconds,
                clients=clients,
                max_requests=500_000,
                seed=seed,
                resend_dropped=killer is not None,
                on_start=killer.start if killer else None,
            )
        finally:
            kills = killer.stop() if killer else 0
    return {"instances": instance_count, "order": order, "kills": kills, **figures, "error_samples": tally.errors}


class Killer(threading.Thread):
    """Every ``interval`` seconds, SIGKILLs a random instance and starts a fresh one in its place."""

    def __init__(self, group: Instances, interval: float, chooser: random.Random):
        super().__init__(daemon=True)
        self.group, self.interval, self.chooser = group, interval, chooser
        self.kills = 0
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            position = self.chooser.randrange(len(self.group.running))
            self.group.kill(position)
            self.kills += 1
            self.group.replace(position)

    def stop(self) -> int:
        """Stop killing (after a replacement under way); how many instances were killed."""
        self._stopped.set()
        if self.is_alive():
            self.join(timeout=60)
        return self.kills


def mean_storage_requests(operation: dict) -> float | None:
    counted = operation.get("storage_requests")
    if not counted:
        return None
    return sum(count * times for count, times in counted.items()) / sum(counted.values())


def report(runs: list[dict], out=sys.stdout) -> None:
    print(
        f"{'instances':>9}{'requests':>10}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'errors':>8}{'429/503':>9}{'kills':>7}{'dropped':>9}{'state':>7}",
        file=out,
    )
    for figures in runs:
        answers = figures["retry_answers"]
        retries = sum(count for status, count in answers.items() if status != "dropped")
        print(
            f"{figures['instances']:>9}{figures['requests']:>10}{figures['requests_per_second']:>8}"
            f"{figures['p50_ms']:>8}{figures['p95_ms']:>8}{figures['p99_ms']:>8}{figures['errors']:>8}"
            f"{retries:>9}{figures['kills']:>7}{answers.get('dropped', 0):>9}"
            f"{'ok' if figures['stored_state_problems'] == 0 else 'BAD':>7}",
            file=out,
        )
    print("\nstorage requests per request, mean (and the counts seen), by operation:", file=out)
    operations = sorted({name for figures in runs for name in figures["operations"]})
    for name in operations:
        cells = []
        for figures in runs:
            operation = figures["operations"].get(name, {})
            mean = mean_storage_requests(operation)
            seen = "/".join(str(count) for count in operation.get("storage_requests", {}))
            cells.append(f"{figures['instances']}: {mean:.2f} ({seen})" if mean is not None else "-")
        print(f"  {name:<16}" + "   ".join(cells), file=out)
    for figures in runs:
        for text in figures["error_samples"]:
            print(f"error ({figures['instances']} instances): {text}", file=out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 4], help="instance counts (default 1 2 4)")
    parser.add_argument("--seconds", type=float, default=30, help=f"seconds per run, at most {MAX_SECONDS}")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--order", choices=["round-robin", "random"], default="round-robin")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kill-every", type=float, help="kill and replace a random instance this often (seconds)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    arguments = parser.parse_args()
    seconds = min(arguments.seconds, MAX_SECONDS)
    runs = [
        run(
            count,
            seconds=seconds,
            clients=arguments.clients,
            order=arguments.order,
            seed=arguments.seed,
            kill_every=arguments.kill_every,
        )
        for count in arguments.instances
    ]
    report(runs)
    if arguments.json:
        print(json.dumps(runs, indent=2))
    return 0 if all(figures["errors"] == 0 and figures["stored_state_problems"] == 0 for figures in runs) else 1


if __name__ == "__main__":
    sys.exit(main())

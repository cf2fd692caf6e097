"""What the race tests share: calls started together in threads, and their outcomes.

Each call runs in a thread of its own, on its own database connection (closed when the
thread ends), released at a barrier with a small random delay so the rounds try many
interleavings. An outcome is ``"ok"``, ``"clear"`` (the app's own error or a
``ValidationError``: what a person is told) or ``"raw"`` (anything else: a deadlock, an
``IntegrityError``, Django's ``NotUpdated``), with the exception kept for the report.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection

from django_customer_contacts.exceptions import ContactError

#: Random rounds per race test (the issue's probes ran 40).
ROUNDS = 40


@dataclass
class Outcome:
    kind: str  # "ok", "clear" or "raw"
    value: Any = None
    error: BaseException | None = None

    def __repr__(self) -> str:
        return f"{self.kind}:{self.error!r}" if self.error is not None else f"{self.kind}:{self.value!r}"


def _classify(call: Callable[[], Any]) -> Outcome:
    try:
        return Outcome("ok", call())
    except (ContactError, ValidationError) as exc:
        return Outcome("clear", error=exc)
    except Exception as exc:  # reported by the tests' tallies
        return Outcome("raw", error=exc)


def run_at_once(*calls: Callable[[], Any], jitter: float = 0.004) -> list[Outcome]:
    """Run each call in its own thread and connection, together; return their outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Outcome] = [Outcome("raw", error=RuntimeError("thread did not finish"))] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=30)
            if jitter:
                time.sleep(random.uniform(0, jitter))
            outcomes[index] = _classify(call)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Outcome]]:
    """Start ``call`` in a thread with its own connection; join the thread, then read the list."""
    result: list[Outcome] = []

    def worker() -> None:
        from django.db import connection as thread_connection

        try:
            result.append(_classify(call))
        finally:
            thread_connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    return thread, result


@contextmanager
def holding(signal: Any, *, sender: Any = None, seconds: float = 0.6):
    """While active, a receiver of ``signal`` signals ``entered`` and sleeps ``seconds``:
    whatever sent it keeps its transaction (and its locks) open that long."""
    entered = threading.Event()

    def receiver(**kwargs: Any) -> None:
        entered.set()
        time.sleep(seconds)

    signal.connect(receiver, sender=sender, weak=False, dispatch_uid="race-holding")
    try:
        yield entered
    finally:
        signal.disconnect(sender=sender, dispatch_uid="race-holding")


@dataclass
class Tally:
    """Rounds with each kind of failure, written to test-artifacts/ and printed."""

    name: str
    rounds: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def round(self, outcomes: list[Outcome], **failed: bool) -> None:
        self.rounds += 1
        self.outcomes.update(outcome.kind for outcome in outcomes)
        raw = [o for o in outcomes if o.kind == "raw"]
        if raw:
            failed["raw_error"] = True
        if any(failed.values()):
            self.failures["any"] += 1
        for kind, hit in failed.items():
            if hit:
                self.failures[kind] += 1
                if len(self.examples) < 5:
                    self.examples.append(f"{kind}: {outcomes!r}")

    def report(self) -> dict[str, Any]:
        figures = {
            "test": self.name,
            "database": connection.vendor,
            "rounds": self.rounds,
            "rounds_failed": dict(self.failures),
            "outcomes": dict(self.outcomes),
            "examples": self.examples,
        }
        out = Path(__file__).resolve().parent.parent / "test-artifacts"
        out.mkdir(exist_ok=True)
        (out / f"race-{connection.vendor}-{self.name}.json").write_text(json.dumps(figures, indent=2, default=str))
        print(f"\n{self.name} on {connection.vendor}: {figures}")
        return figures

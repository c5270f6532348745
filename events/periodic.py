"""Periodic jobs run by every ``outbox_relay`` between polls (e.g. pruning the
outbox, a sweep that emits ``order.expired``). A job must be safe to run on
several relays at once and never be needed for correctness."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    every_seconds: float
    func: Callable[[], object]


_registry: dict[str, PeriodicTask] = {}


def periodic_register(*, name: str, every_seconds: float, func: Callable[[], object]) -> None:
    """Register (or replace) a job by name; call it from an AppConfig.ready()."""
    _registry[name] = PeriodicTask(name=name, every_seconds=every_seconds, func=func)


def periodic_tasks() -> list[PeriodicTask]:
    return list(_registry.values())

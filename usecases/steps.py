"""How a use case's steps run and where it logs: handed in by whoever calls it.

Plainly, one step after another and into this module's loggers (``InTurn``, the default:
the bench's run without Prefect, tests); the flows hand in Prefect tasks (retries, several
files at once) and their run's logger instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")


class Log(Protocol):
    """Where a use case tells what a person may want to know: a ``logging.Logger``, or a
    flow's run logger (its lines in the run's log in Prefect's UI)."""

    def info(self, msg: str, *args: object) -> None: ...

    def warning(self, msg: str, *args: object) -> None: ...

    def error(self, msg: str, *args: object) -> None: ...


class Steps(Protocol):
    """How a use case runs its steps that touch the store: each a plain function."""

    def one(self, step: Callable[..., T], /, **arguments: object) -> T:
        """``step(**arguments)``."""
        ...

    def each(
        self, step: Callable[..., T], /, over: Mapping[str, Sequence[object]], **same: object
    ) -> list[T]:
        """``step`` once per item, in order: with the ``i``-th value of each list in
        ``over`` and ``same`` every time."""
        ...


class InTurn:
    """Steps called here, one after another."""

    def one(self, step: Callable[..., T], /, **arguments: object) -> T:
        return step(**arguments)

    def each(
        self, step: Callable[..., T], /, over: Mapping[str, Sequence[object]], **same: object
    ) -> list[T]:
        return [
            step(**same, **dict(zip(over, values, strict=True)))
            for values in zip(*over.values(), strict=True)
        ]

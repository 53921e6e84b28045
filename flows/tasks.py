"""The use cases' steps as Prefect tasks: one policy for all, and where they run.

Only transient errors are retried (``retry_if_transient``). Nothing is cached by Prefect (a
path says nothing about content; the page cache, keyed by content, is the pipeline's). A
step that needs the input files or the store runs on this machine (``map_here``): only
this machine is sure to have them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from prefect import Task, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.task_runners import ThreadPoolTaskRunner

from usecases.steps import InTurn

if TYPE_CHECKING:
    from distributed import Client

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")


def retry_if_transient(task: Task[..., Any], task_run: TaskRun, state: State) -> bool:
    """Prefect retry condition: retry only errors that say trying again can help."""
    error = state.result(raise_on_failure=False)
    return bool(getattr(error, "retryable", False))


# Every step shares one policy: transient errors are retried, nothing is cached across
# runs (a file's path says nothing about its content).
step = task(
    retries=3,
    retry_delay_seconds=[1, 5, 20],
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
)


def as_step(function: Callable[P, R]) -> Task[P, R]:
    """A use case's step as a task of the shared policy, named after the function (made
    once for each)."""
    return cast("Task[P, R]", _task_of(function))


@functools.cache
def _task_of(function: Callable[..., object]) -> Task[..., object]:
    return step(function)


class RunLog:
    """The Prefect run's logger where a use case logs: in a task, the task run's (its
    lines in that run's log in Prefect's UI), looked up at each call."""

    def info(self, msg: str, *args: object) -> None:
        get_run_logger().info(msg, *args)

    def warning(self, msg: str, *args: object) -> None:
        get_run_logger().warning(msg, *args)

    def error(self, msg: str, *args: object) -> None:
        get_run_logger().error(msg, *args)


RUN_LOG = RunLog()


def map_here(client: Client | None, step_task: Task[..., Any], **parameters: Any) -> list[Any]:
    """``step_task`` mapped over ``parameters`` on this machine, for a step that needs the
    input files or the store (only this machine is sure to have them): on the flow's own
    runner, or on threads here when the flow's runner is a cluster (``client``)."""
    if client is None:
        results: list[Any] = step_task.map(**parameters).result()
        return results
    here: ThreadPoolTaskRunner[Any]
    with ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1) as here:
        results = here.map(step_task, parameters).result()
    return results


class AsTasks:
    """A use case's steps (``usecases.steps.Steps``) as tasks of the running flow: each
    over many items mapped on this machine (``map_here``: at once, as the flow's runner
    allows), or with ``at_once=False`` one after another."""

    def __init__(self, client: Client | None = None, *, at_once: bool = True) -> None:
        self.client = client
        self.at_once = at_once

    def one(self, function: Callable[..., T], /, **arguments: object) -> T:
        return as_step(function)(**arguments)

    def each(
        self, function: Callable[..., T], /, over: Mapping[str, Sequence[object]], **same: object
    ) -> list[T]:
        step_task = as_step(function)
        if not self.at_once:
            return InTurn().each(step_task, over, **same)
        constants = {name: unmapped(value) for name, value in same.items()}
        return map_here(self.client, step_task, **over, **constants)

"""Processes as the tests that kill runs look at them."""

from __future__ import annotations

import psutil


def still_running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """The processes not ended: a zombie nobody reaped has ended (PID 1 here reaps none)."""
    running = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                running.append(process)
        except psutil.NoSuchProcess:
            pass
    return running

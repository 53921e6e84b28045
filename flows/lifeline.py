"""Nothing a command started outlives it: a watcher process ends them when it dies.

``shenbao run`` starts processes of its own and through libraries: Prefect's temporary
server, the page pool's OCR readers, multiprocessing's resource tracker, a local Dask
cluster. Killed (SIGKILL, or SIGTERM, whose default action skips every ``finally`` and
``atexit``), the command would leave them all running. ``keep()`` starts one watcher, a
small process that every ``WATCH_S`` notes the command's descendants and, once the
command is gone, terminates the ones it noted that still run (SIGTERM, then SIGKILL
``GRACE_S`` later).

It learns of the command's death from a pipe only the command holds: the pipe's end
closes however the command dies, and unlike a parent-death signal (``PR_SET_PDEATHSIG``,
sent when the *thread* that started a child ends) it does not depend on which thread
started what: Prefect starts its server from whichever thread first needs it, the page
pool its readers from a task's thread. A process started less than ``WATCH_S`` before the
command died is not known yet; the page readers watch their parent themselves
(``pipeline.pool``). The watcher ignores SIGINT and SIGHUP, which a terminal
sends its whole process group: it outlives the command to end what the command left.

Run as ``python -m flows.lifeline PID``: imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys

import psutil

WATCH_S = 0.5
"""How often the watcher notes the command's descendants."""
GRACE_S = 5.0
"""How long a process has to stop on SIGTERM before it is killed. Prefect's server shuts
down in well under a second; the resource tracker, which ignores SIGTERM, ends by itself
once the readers it serves are gone."""

_watcher: subprocess.Popen[bytes] | None = None


def keep() -> None:
    """Start this process's watcher, once; the processes it starts from now on are ended
    when it ends, however it ends."""
    global _watcher
    if _watcher is not None and _watcher.poll() is None:
        return
    # The pipe's write end stays here alone (file descriptors are not inherited).
    _watcher = subprocess.Popen(
        [sys.executable, "-m", __name__, str(os.getpid())], stdin=subprocess.PIPE
    )


def watch(command: int, gone: int) -> list[psutil.Process]:
    """Note ``command``'s descendants until ``gone`` (a pipe's read end) reads EOF; the
    last ones noted, this watcher left out."""
    noted: dict[int, psutil.Process] = {}
    try:
        parent = psutil.Process(command)
    except psutil.NoSuchProcess:
        return []
    while True:
        try:
            current = parent.children(recursive=True)
        except psutil.NoSuchProcess:
            current = []
        # A process seen once is kept until it ends: a reader restarted between two looks
        # is seen by the next; one that ended is dropped (its pid may be reused).
        for process in current:
            if process.pid != os.getpid():
                noted.setdefault(process.pid, process)
        noted = {pid: p for pid, p in noted.items() if p.is_running()}
        readable, _, _ = select.select([gone], [], [], WATCH_S)
        if readable and not os.read(gone, 4096):
            return list(noted.values())


def end(processes: list[psutil.Process]) -> None:
    """SIGTERM to each of ``processes`` still running (not another process that took a
    pid since), SIGKILL to those left after ``GRACE_S``."""
    running = []
    for process in processes:
        try:
            process.terminate()  # psutil checks the pid is still this process's
        except psutil.Error:
            continue
        running.append(process)
    _, left = psutil.wait_procs(running, timeout=GRACE_S)
    for process in left:
        with contextlib.suppress(psutil.Error):  # ended meanwhile
            process.kill()


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    end(watch(int(argv[0]), sys.stdin.fileno()))


if __name__ == "__main__":
    main(sys.argv[1:])

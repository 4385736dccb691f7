"""A guard for worker pools: a worker killed outright (a crash in native code) ends the build, not hangs it.

multiprocessing.Pool replaces a worker that dies, but the step it was running never reports back,
so whoever waits for that result would wait for ever.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator

# How often a wait for the next result looks whether a worker died.
POLL_SECONDS = 0.5


class WorkerDied(RuntimeError):
    """A worker process ended without reporting its result: a crash, never a mistake in the inputs."""


def watched(pool, results) -> Iterator:
    """Yield what `results` (an imap of `pool`) yields, raising WorkerDied if one of its workers dies meanwhile."""
    # The pool's own list of processes is the only way to see them; a replaced process means a death.
    workers = {process.pid for process in pool._pool}
    while True:
        try:
            yield results.next(timeout=POLL_SECONDS)
        except StopIteration:
            return
        except multiprocessing.TimeoutError:
            now = [process for process in pool._pool]
            dead = [p for p in now if p.exitcode not in (None, 0)]
            if dead or {process.pid for process in now} != workers:
                how = f" (exit code {dead[0].exitcode})" if dead else ""
                pool.terminate()
                raise WorkerDied(f"a worker process died without reporting its result{how}; "
                                 "the step it was running crashed") from None


def watched_chunks(pool, run, count: int, chunk: int) -> Iterator:
    """run(0) … run(count - 1) on `pool`, `chunk` indices a task, in order, watched as by watched()."""
    # Pool.imap with a chunksize hands back a plain generator, which cannot wait with a timeout:
    # the chunks are made here instead, each task running one range of indices.
    ranges = [(run, start, min(start + chunk, count)) for start in range(0, count, chunk)]
    for results in watched(pool, pool.imap(_run_range, ranges)):
        yield from results


def _run_range(task: tuple) -> list:
    run, start, stop = task
    return [run(index) for index in range(start, stop)]

"""Where many independent replications run: serially, on local processes, or on a Dask cluster.

The bootstrap, the jackknife of BCa intervals and Monte Carlo power all call one function
many times on the same payload (a compiled model and the data) with a different task each
(a seed stream, a row to leave out). :func:`run` does that on an executor chosen by the
caller and returns the results in task order, so the numbers never depend on where or in
which order the tasks ran. Randomness comes only from the tasks: :func:`spawn_seeds` gives
one ``SeedSequence`` child per replication, and a replication draws only from its own
stream. Serial, process and Dask runs with the same seed are therefore identical.

The payload goes to each worker once (a process pool's initializer; Dask's ``scatter``),
the tasks in chunks: pickling a compiled model for every draw would cost more than the
refit itself.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

import numpy as np

__all__ = ["SerialExecutor", "ProcessExecutor", "DaskExecutor", "get_executor", "run", "seed_record", "spawn_seeds"]


def spawn_seeds(seed, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent seed streams from ``seed`` (an int, a ``SeedSequence`` or None).

    Examples
    --------
    >>> a = spawn_seeds(1, 3)
    >>> [np.random.default_rng(s).integers(100) for s in a] == [np.random.default_rng(s).integers(100)
    ...                                                         for s in spawn_seeds(1, 3)]
    True
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(n)


def seed_record(seed):
    """A seed as JSON can hold it: an int stays an int, a root ``SeedSequence`` becomes its
    entropy (the same draws as before), a spawned one the text of its entropy and spawn key
    (a record; passing it back as a seed is refused, not misread).

    Examples
    --------
    >>> seed_record(np.random.SeedSequence(7)), seed_record(5)
    (7, 5)
    >>> seed_record(np.random.SeedSequence(7).spawn(1)[0])
    'SeedSequence(entropy=7, spawn_key=(0,))'
    """
    if not isinstance(seed, np.random.SeedSequence):
        return seed
    if not seed.spawn_key and isinstance(seed.entropy, int):
        return int(seed.entropy)
    return f"SeedSequence(entropy={seed.entropy}, spawn_key={tuple(seed.spawn_key)})"


def available_cores() -> int:
    """The cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _progress(total: int, desc: str | None, unit: str = "draw"):
    """A progress bar on stderr when it is a terminal; silent (None) otherwise, e.g. in CI,
    in a pipe or under pytest."""
    if desc is None or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False)


def _chunks(n: int, workers: int) -> list[range]:
    """About eight chunks per worker: few enough to keep the per-chunk overhead small, enough
    for the load to balance and the progress bar to move."""
    size = max(1, math.ceil(n / (8 * max(1, workers))))
    return [range(i, min(n, i + size)) for i in range(0, n, size)]


def _run_chunk(func, payload, tasks):
    return [func(payload, task) for task in tasks]


class SerialExecutor:
    """Runs every task in this process, in order.

    Examples
    --------
    >>> SerialExecutor().map(pow, 2, [1, 2, 3])
    [2, 4, 8]
    """

    workers = 1

    def map(self, func: Callable, payload, tasks: Sequence, desc: str | None = None, unit: str = "draw") -> list:
        bar = _progress(len(tasks), desc, unit)
        out = []
        for task in tasks:
            out.append(func(payload, task))
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.close()
        return out


_WORKER_PAYLOAD: list = []
_START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"


def _init_worker(payload) -> None:
    _WORKER_PAYLOAD[:] = [payload]


def _process_chunk(func, tasks):
    return _run_chunk(func, _WORKER_PAYLOAD[0], tasks)


class ProcessExecutor:
    """Local worker processes (default: every core this process may use).

    On Linux workers are forked: they start at once and, unlike ``spawn``, do not re-run the
    user's script (which would need an ``if __name__ == "__main__":`` guard); they only compute
    with numpy, so the parent's threads (a progress bar, a Dask client) are never needed in a
    child. Elsewhere (macOS, Windows, where forking is unsafe or absent) they are spawned, and a
    script that uses them needs that guard. ``func`` must be a module-level function.

    Examples
    --------
    >>> ProcessExecutor(2).map(pow, 3, [1, 2])
    [3, 9]
    """

    def __init__(self, workers: int | None = None):
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer))
                                    or workers < 1):
            raise ValueError(f"The 'workers' parameter of ProcessExecutor must be a positive int or None. "
                             f"Got {workers!r} instead.")
        self.workers = int(workers) if workers is not None else available_cores()

    def map(self, func: Callable, payload, tasks: Sequence, desc: str | None = None, unit: str = "draw") -> list:
        tasks = list(tasks)
        if not tasks:
            return []
        import multiprocessing

        chunks = _chunks(len(tasks), self.workers)
        bar = _progress(len(tasks), desc, unit)
        out: list = [None] * len(chunks)
        with ProcessPoolExecutor(max_workers=min(self.workers, len(chunks)),
                                 mp_context=multiprocessing.get_context(_START_METHOD),
                                 initializer=_init_worker, initargs=(payload,)) as pool:
            pending = {pool.submit(_process_chunk, func, [tasks[i] for i in chunk]): k
                       for k, chunk in enumerate(chunks)}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    k = pending.pop(future)
                    out[k] = future.result()
                    if bar is not None:
                        bar.update(len(out[k]))
        if bar is not None:
            bar.close()
        return [r for chunk in out for r in chunk]


class DaskExecutor:
    """A Dask distributed cluster: a ``Client``, a scheduler address (``"tcp://host:8786"``)
    or a cluster object such as ``LocalCluster``.

    A client made here (from an address or a cluster) is closed after each :meth:`map`; a
    client passed in is left open for its owner. Dask is an optional dependency
    (``pip install govstats[dask]``).
    """

    def __init__(self, target):
        try:
            import distributed  # noqa: F401
        except ImportError:  # pragma: no cover - depends on the installation
            raise ImportError("Running on a Dask cluster needs dask.distributed: pip install 'govstats[dask]'.") \
                from None
        self.target = target

    @property
    def workers(self) -> int:
        client, owned = self._client()
        try:
            return max(1, len(client.scheduler_info().get("workers", {})))
        finally:
            if owned:
                client.close()

    def _client(self):
        from distributed import Client

        if isinstance(self.target, Client):
            return self.target, False
        if isinstance(self.target, str):
            return Client(self.target, timeout="30s"), True
        return Client(self.target, timeout="30s"), True

    def map(self, func: Callable, payload, tasks: Sequence, desc: str | None = None, unit: str = "draw") -> list:
        from distributed import as_completed

        tasks = list(tasks)
        if not tasks:
            return []
        client, owned = self._client()
        try:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            chunks = _chunks(len(tasks), workers)
            shared = client.scatter(payload, broadcast=True)
            futures = [client.submit(_run_chunk, func, shared, [tasks[i] for i in chunk], pure=False)
                       for chunk in chunks]
            index = {f.key: k for k, f in enumerate(futures)}
            bar = _progress(len(tasks), desc, unit)
            out: list = [None] * len(chunks)
            for future in as_completed(futures):
                k = index[future.key]
                out[k] = future.result()
                if bar is not None:
                    bar.update(len(out[k]))
            if bar is not None:
                bar.close()
            return [r for chunk in out for r in chunk]
        finally:
            if owned:
                client.close()


def _is_dask(obj) -> bool:
    module = type(obj).__module__ or ""
    return module.split(".")[0] in ("distributed", "dask", "dask_jobqueue", "dask_kubernetes")


def get_executor(executor=None, workers: int | None = None):
    """An executor from what a user passes.

    Parameters
    ----------
    executor : None, "serial", "processes", int, str, Client or cluster
        None or "processes": local processes (``workers`` of them, default every core);
        "serial": this process; an int: that many local processes; a string with ``://``
        (``"tcp://10.0.0.5:8786"``): the Dask scheduler at that address; a
        ``dask.distributed.Client`` or a cluster (``LocalCluster``, ...): Dask; an executor
        of this module as it is.
    workers : int, optional
        Local processes when ``executor`` is None or "processes".

    Examples
    --------
    >>> type(get_executor("serial")).__name__
    'SerialExecutor'
    >>> get_executor(workers=3).workers
    3
    >>> get_executor("threads")
    Traceback (most recent call last):
    ...
    ValueError: The 'executor' parameter must be one of {None, 'serial', 'processes', a number of processes, a Dask scheduler address 'tcp://host:port', a dask.distributed Client or cluster}. Got 'threads' instead.
    """
    if workers is not None and executor not in (None, "processes"):
        raise ValueError(f"The 'workers' parameter applies to local processes only; with executor={executor!r} "
                         "leave it out (a Dask cluster has its own workers).")
    if executor is None or executor == "processes":
        if workers == 1:
            return SerialExecutor()
        return ProcessExecutor(workers)
    if executor == "serial":
        return SerialExecutor()
    if isinstance(executor, (int, np.integer)) and not isinstance(executor, bool):
        return SerialExecutor() if executor == 1 else ProcessExecutor(int(executor))
    if isinstance(executor, str) and "://" in executor:
        return DaskExecutor(executor)
    if _is_dask(executor):
        return DaskExecutor(executor)
    if isinstance(executor, (SerialExecutor, ProcessExecutor, DaskExecutor)):
        return executor
    raise ValueError("The 'executor' parameter must be one of {None, 'serial', 'processes', a number of processes, "
                     "a Dask scheduler address 'tcp://host:port', a dask.distributed Client or cluster}. "
                     f"Got {executor!r} instead.")


def run(func: Callable, payload, tasks: Sequence, executor=None, workers: int | None = None,
        desc: str | None = None, unit: str = "draw") -> list:
    """``[func(payload, task) for task in tasks]`` on an executor, in task order.

    Parameters
    ----------
    func : callable
        A module-level function ``func(payload, task)`` (it must pickle for processes and Dask).
    payload
        What every task shares; sent to each worker once.
    tasks : sequence
        One item per call, e.g. the seed streams of :func:`spawn_seeds`.
    executor, workers
        See :func:`get_executor`.
    desc : str, optional
        The progress bar's label; the bar shows only when stderr is a terminal.
    unit : str
        What the bar counts (a task: "draw", or "batch" when each task is a batch of draws).

    Examples
    --------
    >>> def draw(scale, seed):
    ...     return scale * np.random.default_rng(seed).normal()
    >>> serial = run(draw, 2.0, spawn_seeds(7, 4), executor="serial")
    >>> len(serial), serial == run(draw, 2.0, spawn_seeds(7, 4), executor="serial")
    (4, True)
    """
    return get_executor(executor, workers).map(func, payload, list(tasks), desc, unit)

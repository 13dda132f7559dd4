"""The executor: serial, local processes and Dask give the same numbers in task order."""

from __future__ import annotations

import numpy as np
import pytest

from govstats.parallel import (DaskExecutor, ProcessExecutor, SerialExecutor, get_executor, run,
                               spawn_seeds)


def noisy(payload, seed):
    """A replication: draws from its own stream only (module level, so it pickles)."""
    rng = np.random.default_rng(seed)
    return payload["scale"] * rng.normal(size=3)


def square(payload, task):
    return payload + task * task


def test_seed_streams_are_reproducible_and_distinct():
    a = [np.random.default_rng(s).integers(1 << 30) for s in spawn_seeds(11, 50)]
    b = [np.random.default_rng(s).integers(1 << 30) for s in spawn_seeds(np.random.SeedSequence(11), 50)]
    assert a == b
    assert len(set(a)) == 50


def test_processes_give_the_serial_numbers_in_order():
    seeds = spawn_seeds(3, 37)  # not a multiple of the chunk size: the last chunk is short
    serial = run(noisy, {"scale": 2.0}, seeds, executor="serial")
    processes = run(noisy, {"scale": 2.0}, seeds, executor=2)
    assert np.array_equal(np.array(serial), np.array(processes))
    assert run(square, 1, range(20), executor="processes", workers=2) == [1 + i * i for i in range(20)]


def test_get_executor_forms_and_errors():
    assert isinstance(get_executor("serial"), SerialExecutor)
    assert isinstance(get_executor(1), SerialExecutor)
    assert isinstance(get_executor(None, workers=1), SerialExecutor)
    assert get_executor(4).workers == 4
    assert isinstance(get_executor("tcp://127.0.0.1:1"), DaskExecutor)
    ex = ProcessExecutor(2)
    assert get_executor(ex) is ex
    with pytest.raises(ValueError, match="'executor' parameter must be one of"):
        get_executor("threads")
    with pytest.raises(ValueError, match="'workers' parameter applies to local processes"):
        get_executor("serial", workers=2)
    with pytest.raises(ValueError, match="'workers' parameter of ProcessExecutor"):
        ProcessExecutor(0)


def test_progress_bar_is_silent_off_a_terminal(capsys):
    run(square, 0, range(5), executor="serial", desc="draws")
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


@pytest.fixture(scope="module")
def local_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, timeout="60s")
    client = distributed.Client(cluster, timeout="60s")
    try:
        yield cluster, client
    finally:
        client.close(timeout=30)
        cluster.close(timeout=30)


def test_dask_gives_the_serial_numbers(local_cluster):
    cluster, client = local_cluster
    seeds = spawn_seeds(5, 23)
    serial = np.array(run(noisy, {"scale": 0.5}, seeds, executor="serial"))
    assert np.array_equal(serial, np.array(run(noisy, {"scale": 0.5}, seeds, executor=client)))
    assert np.array_equal(serial, np.array(run(noisy, {"scale": 0.5}, seeds, executor=cluster)))
    assert np.array_equal(serial, np.array(run(noisy, {"scale": 0.5}, seeds, executor=cluster.scheduler_address)))
    assert get_executor(client).workers == 2
    assert client.status == "running"  # a client passed in is left open

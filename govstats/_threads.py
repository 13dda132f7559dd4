"""One BLAS/LAPACK thread for the small matrices govstats works with.

Threads only contend on these sizes: on the 2-core machine LAPACK's Cholesky inverse took
2 ms with two threads and 0.04 ms with one; (rows x 30) @ (30 x 30) products waited 4x
longer than one thread took. The controller is built once: building one scans the loaded
libraries (25 ms), too slow for a call made per fit.
"""

from __future__ import annotations

from threadpoolctl import ThreadpoolController

_CONTROLLER: list = []


def single_threaded():
    """Context manager limiting BLAS/LAPACK to one thread."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1)

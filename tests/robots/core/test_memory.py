"""The night hands freed memory back: Arrow allocates from jemalloc, glibc's heap is trimmed."""

from __future__ import annotations

import pyarrow as pa
import pytest

from robots.core import memory


def test_arrow_allocates_from_a_pool_that_returns_memory() -> None:
    before = pa.default_memory_pool()
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow build has no jemalloc")
    try:
        memory.use_returning_arrow_allocator()
        assert pa.default_memory_pool().backend_name == "jemalloc"
        assert pa.array(range(1000)).sum().as_py() == 499500
    finally:
        pa.set_memory_pool(before)


def test_trimming_the_heap_keeps_every_live_object() -> None:
    kept = [bytes([i % 256]) * 4096 for i in range(2000)]
    freed = [bytes(4096) for _ in range(20000)]
    del freed
    memory.return_free_heap()
    assert memory._malloc_trim() is not None, "glibc's malloc_trim found on this Linux"
    assert all(block == bytes([i % 256]) * 4096 for i, block in enumerate(kept))

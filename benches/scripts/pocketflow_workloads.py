#!/usr/bin/env python3
"""The project's benchmark workloads, run on Python PocketFlow (pip install pocketflow).

The same five workloads, by name, size and semantics, as examples/workloads.rs runs in
Rust; benches/scripts/compare.sh runs both side by side. Kept in step with the reference
workloads the project started from.

usage: pocketflow_workloads.py WORKLOAD [N]
prints one line: WORKLOAD N seconds per_item_ns
"""
import asyncio
import sys
import time

from pocketflow import (AsyncFlow, AsyncNode, AsyncParallelBatchFlow,
                        AsyncParallelBatchNode, BatchFlow, BatchNode, Flow, Node)


def chain(n):
    """One node looping on itself n times: the cost of a flow transition."""
    class Inc(Node):
        def prep(self, shared): return shared["count"]
        def exec(self, count): return count + 1
        def post(self, shared, prep_res, exec_res):
            shared["count"] = exec_res
            return "again" if exec_res < shared["n"] else "done"
    inc = Inc()
    inc - "again" >> inc
    shared = {"count": 0, "n": n}
    Flow(start=inc).run(shared)
    assert shared["count"] == n


def batch(n):
    """A sequential batch node over n integers: the cost of one batch item."""
    class Double(BatchNode):
        def prep(self, shared): return range(shared["n"])
        def exec(self, x): return x * 2
        def post(self, shared, prep_res, exec_res): shared["sum"] = sum(exec_res)
    shared = {"n": n}
    Double().run(shared)
    assert shared["sum"] == n * (n - 1)


def fanout(n):
    """A parallel batch node over n items, each waiting 10 ms (a remote call)."""
    class Call(AsyncParallelBatchNode):
        async def prep_async(self, shared): return list(range(shared["n"]))
        async def exec_async(self, x):
            await asyncio.sleep(0.010)
            return x
        async def post_async(self, shared, prep_res, exec_res): shared["sum"] = sum(exec_res)
    shared = {"n": n}
    asyncio.run(Call().run_async(shared))
    assert shared["sum"] == n * (n - 1) // 2


def batch_flow(n):
    """A sequential batch flow: n runs of a 3-node sub-flow, per-run params."""
    class Step(Node):
        def prep(self, shared): return self.params["i"]
        def exec(self, i): return i + 1
        def post(self, shared, prep_res, exec_res): shared["total"] += exec_res
    a, b, c = Step(), Step(), Step()
    a >> b >> c
    class Each(BatchFlow):
        def prep(self, shared): return [{"i": i} for i in range(shared["n"])]
    shared = {"n": n, "total": 0}
    Each(start=a).run(shared)
    assert shared["total"] == 3 * (n * (n - 1) // 2 + n)


def parallel_flow(n):
    """A parallel batch flow: n concurrent runs of a 3-node async sub-flow,
    each node waiting 1 ms, each run writing its own key in the shared store."""
    class Step(AsyncNode):
        async def prep_async(self, shared): return self.params["i"]
        async def exec_async(self, i):
            await asyncio.sleep(0.001)
            return i
        async def post_async(self, shared, prep_res, exec_res):
            shared["seen"][exec_res] = shared["seen"].get(exec_res, 0) + 1
    a, b, c = Step(), Step(), Step()
    a >> b >> c
    class Each(AsyncParallelBatchFlow):
        async def prep_async(self, shared): return [{"i": i} for i in range(shared["n"])]
    shared = {"n": n, "seen": {}}
    asyncio.run(Each(start=a).run_async(shared))
    assert len(shared["seen"]) == n and all(v == 3 for v in shared["seen"].values())


WORKLOADS = {
    "chain": (chain, 1_000_000),
    "batch": (batch, 1_000_000),
    "fanout": (fanout, 10_000),
    "batch_flow": (batch_flow, 100_000),
    "parallel_flow": (parallel_flow, 10_000),
}

if __name__ == "__main__":
    name = sys.argv[1]
    fn, default_n = WORKLOADS[name]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else default_n
    t0 = time.perf_counter()
    fn(n)
    dt = time.perf_counter() - t0
    print(f"{name} {n} {dt:.4f} {dt / n * 1e9:.0f}")

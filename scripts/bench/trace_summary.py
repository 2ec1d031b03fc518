#!/usr/bin/env python3
"""Sums a Chrome trace written by org.amdim.tensor.Profiler (libtorch's operator profiler) per operator.

For each operator name: the calls, the total time (its own and that of the operators it called) and the self time
(its total less its children's), so that the self times add up to the recorded time once. Events nest by time on
each thread. Usage: trace_summary.py TRACE [--top N] [--steps K] (K: divide the times by the number of steps the
trace holds, to read them per step).
"""
import argparse
import collections
import json
import sys


def summarise(events):
    calls = collections.Counter()
    total = collections.defaultdict(float)
    self_time = collections.defaultdict(float)
    by_thread = collections.defaultdict(list)
    for e in events:
        if e.get("ph") == "X":
            by_thread[e.get("tid")].append(e)
    recorded = 0.0
    for evs in by_thread.values():
        # Parents start no later and last no shorter than their children; ties put the parent first.
        evs.sort(key=lambda e: (float(e["ts"]), -float(e["dur"])))
        stack = []  # (end, name) of the enclosing events
        for e in evs:
            ts, dur = float(e["ts"]), float(e["dur"])
            while stack and stack[-1][0] <= ts:
                stack.pop()
            if stack:
                self_time[stack[-1][1]] -= dur  # the parent's self time excludes this child
            else:
                recorded += dur
            self_time[e["name"]] += dur
            calls[e["name"]] += 1
            total[e["name"]] += dur
            stack.append((ts + dur, e["name"]))
    return calls, total, self_time, recorded


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("trace")
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--steps", type=int, default=1)
    a = p.parse_args()
    with open(a.trace) as f:
        events = json.load(f)
    calls, total, self_time, recorded = summarise(events)
    k = a.steps
    print(f"recorded: {recorded / 1e3 / k:.1f} ms per step (top-level operators, all threads)")
    print(f"{'self ms':>9} {'total ms':>9} {'calls':>7}  operator")
    for name, s in sorted(self_time.items(), key=lambda kv: -kv[1])[: a.top]:
        print(f"{s / 1e3 / k:9.2f} {total[name] / 1e3 / k:9.2f} {calls[name] / k:7.1f}  {name}")


if __name__ == "__main__":
    sys.exit(main())

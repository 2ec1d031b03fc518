#!/usr/bin/env python3
"""Parses the runs of step_vs_original.sh and epoch_vs_original.sh and prints their comparison tables.

Subcommands (standard library only):

  original-steps LOG   per-step seconds of an original_train_step.py log, one line, space-separated
  jmh-steps JSON       per-iteration seconds of a single-shot JMH run (TrainStepBench -bm ss), the same way
  steps TSV            the step table: rows "kernels batch round side peak_rss_kib seconds..." (side: original |
                       ours; peak_rss_kib 0 when the run did not report it)
  epochs TSV           the epoch table: rows "kernels preset round side wall_s max_rss_kb tree_pss_kb"

In both tables a run counts by its median (steps) or its wall time (epochs); a cell gives the median over the
rounds and, in brackets, the smallest and largest run; the ratio is original / ours of those medians, with the
per-round ratios (each round's original run against its ours run) in brackets.
"""
import json
import re
import statistics
import sys
from collections import defaultdict

STEP_LINE = re.compile(r'^step \d+: ([0-9.]+) s\b')
UNIT_SECONDS = {'s/op': 1.0, 'ms/op': 1e-3, 'us/op': 1e-6, 'ns/op': 1e-9}


def original_steps(path):
    with open(path) as f:
        steps = [float(m.group(1)) for m in map(STEP_LINE.match, f) if m]
    if not steps:
        sys.exit('compare_report: no "step N: X s" lines in {}'.format(path))
    print(' '.join('{:.4f}'.format(s) for s in steps))


def jmh_steps(path):
    with open(path) as f:
        results = json.load(f)
    if len(results) != 1:
        sys.exit('compare_report: {} holds {} benchmark results, expected 1'.format(path, len(results)))
    metric = results[0]['primaryMetric']
    scale = UNIT_SECONDS.get(metric['scoreUnit'])
    if scale is None or results[0]['mode'] != 'ss':
        sys.exit('compare_report: {}: mode {} in {}, expected single-shot times'.format(
            path, results[0]['mode'], metric['scoreUnit']))
    steps = [v * scale for fork in metric['rawData'] for v in fork]
    print(' '.join('{:.4f}'.format(s) for s in steps))


def read_rows(path, fields):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if len(parts) < fields:
                sys.exit('compare_report: short row in {}: {!r}'.format(path, line))
            rows.append(parts)
    return rows


def cell(values, fmt):
    """Median [min–max] of one side's runs."""
    if not values:
        return 'n/a'
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return '{} [{}–{}]'.format(fmt.format(med), fmt.format(min(values)), fmt.format(max(values)))


def ratio(orig, ours):
    """original/ours of the medians, and each round's ratio."""
    if not orig or not ours:
        return 'n/a'
    med = statistics.median(orig.values()) / statistics.median(ours.values())
    per_round = [orig[r] / ours[r] for r in sorted(orig) if r in ours]
    text = '**{:.2f}×**'.format(med)
    if len(per_round) > 1:
        text += ' [{:.2f}–{:.2f}]'.format(min(per_round), max(per_round))
    return text


def steps_table(path):
    runs = defaultdict(dict)  # (kernels, batch) -> side -> round -> median step
    rss = defaultdict(lambda: defaultdict(list))  # (kernels, batch) -> side -> peak RSS in MiB, per reporting run
    for kernels, batch, rnd, side, rss_kib, *secs in read_rows(path, 6):
        runs[(kernels, int(batch))].setdefault(side, {})[int(rnd)] = statistics.median(map(float, secs))
        if int(rss_kib) > 0:
            rss[(kernels, int(batch))][side].append(int(rss_kib) / 1024)
    print('| kernels | batch | original, median step [runs] | ours, median step [runs] | original / ours [rounds] '
          '| peak RSS original / ours |')
    print('|---|---:|---:|---:|---:|---:|')
    for (kernels, batch), sides in sorted(runs.items()):
        orig, ours = sides.get('original', {}), sides.get('ours', {})
        mem = rss[(kernels, batch)]
        print('| {} | {} | {} | {} | {} | {} / {} |'.format(
            kernels, batch, cell(list(orig.values()), '{:.3f} s'), cell(list(ours.values()), '{:.3f} s'),
            ratio(orig, ours), cell(mem['original'], '{:.0f} MiB'), cell(mem['ours'], '{:.0f} MiB')))


def epochs_table(path):
    runs = defaultdict(lambda: defaultdict(dict))  # (kernels, preset) -> side -> round -> (wall, rss, pss)
    for kernels, preset, rnd, side, wall, rss, pss in read_rows(path, 7):
        runs[(kernels, preset)][side][int(rnd)] = (float(wall), int(rss), int(pss))
    print('| kernels | preset | original, s [runs] | ours, s [runs] | original / ours [rounds] '
          '| peak RSS original / ours | peak PSS, process tree, original / ours |')
    print('|---|---|---:|---:|---:|---:|---:|')
    for (kernels, preset), sides in sorted(runs.items()):
        orig, ours = sides.get('original', {}), sides.get('ours', {})

        def col(side, i, scale=1.0):
            return [v[i] * scale for v in side.values()]

        print('| {} | {} | {} | {} | {} | {} / {} | {} / {} |'.format(
            kernels, preset, cell(col(orig, 0), '{:.1f}'), cell(col(ours, 0), '{:.1f}'),
            ratio({r: v[0] for r, v in orig.items()}, {r: v[0] for r, v in ours.items()}),
            cell(col(orig, 1, 1 / 1024), '{:.0f} MiB'), cell(col(ours, 1, 1 / 1024), '{:.0f} MiB'),
            cell(col(orig, 2, 1 / 1024), '{:.0f} MiB'), cell(col(ours, 2, 1 / 1024), '{:.0f} MiB')))


def main():
    commands = {'original-steps': original_steps, 'jmh-steps': jmh_steps, 'steps': steps_table,
                'epochs': epochs_table}
    if len(sys.argv) != 3 or sys.argv[1] not in commands:
        sys.exit('usage: compare_report.py {' + '|'.join(commands) + '} FILE')
    commands[sys.argv[1]](sys.argv[2])


if __name__ == '__main__':
    main()

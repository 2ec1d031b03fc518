#!/usr/bin/env python3
"""Results of scripts/bench/embed_vs_ort.sh: JMH JSON to RESULT lines, and RESULT lines to the summary table.

Every side of the benchmark reports one line per preset and batch and round:

    RESULT side=ort preset=small batch=32 img_s=1028.8 ms_median=31.104 ... [round=N]

    embed_results.py jmh FILE.json --side ours-packed --preset small --batch 32 --weights FILE
        prints that line for a JMH result file of one benchmark run (the median of its measurement
        iterations; images per operation = the batch); weights=same when the benchmark took the
        weights file as its `weights` parameter, else weights=own
    embed_results.py table RESULTS.txt
        prints a Markdown table: per preset, batch and "ours" side, the median images/s over the rounds
        (min-max), and the ratios ours/ONNX Runtime and ours/PyTorch (the faster layout of each round),
        each the median over the rounds of that round's ratio (the sides of a round ran next to each other)
"""
import argparse
import json
import statistics
import sys
from collections import defaultdict

# Seconds per unit of JMH's score units.
_TIME_UNITS = {'ns': 1e-9, 'us': 1e-6, 'ms': 1e-3, 's': 1.0, 'min': 60.0}


def seconds_per_op(value, unit):
    """A JMH score as seconds per operation: 'ms/op' (average time) or 'ops/ms' (throughput)."""
    num, den = unit.split('/')
    if den == 'op':
        return value * _TIME_UNITS[num]
    if num == 'ops':
        return _TIME_UNITS[den] / value
    raise ValueError('unsupported JMH unit {!r}'.format(unit))


def jmh_line(path, side, preset, batch, weights):
    with open(path) as f:
        runs = json.load(f)
    if len(runs) != 1:
        raise SystemExit('{}: expected one benchmark result, found {} ({}); narrow the benchmark regex'.format(
            path, len(runs), ', '.join(r['benchmark'] for r in runs)))
    run = runs[0]
    metric = run['primaryMetric']
    unit = metric['scoreUnit']
    per_iter = sorted(seconds_per_op(v, unit) for fork in metric['rawData'] for v in fork)
    images = int(run.get('params', {}).get('batch', batch))
    if images != batch:
        raise SystemExit('{}: the benchmark ran batch {}, asked for {}'.format(path, images, batch))
    same = weights and run.get('params', {}).get('weights') == weights
    med = statistics.median(per_iter)
    return ('RESULT side={} preset={} batch={} img_s={:.1f} ms_median={:.3f} ms_min={:.3f} ms_max={:.3f} reps={}'
            ' weights={} benchmark={}'.format(side, preset, batch, batch / med, med * 1e3, per_iter[0] * 1e3,
                                              per_iter[-1] * 1e3, len(per_iter), 'same' if same else 'own',
                                              run['benchmark']))


def parse_results(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith('RESULT '):
                rows.append(dict(kv.split('=', 1) for kv in line.split()[1:]))
    return rows


def spread(values):
    if not values:
        return '—'
    med = statistics.median(values)
    if len(values) == 1:
        return fmt(med)
    return '{} ({}–{})'.format(fmt(med), fmt(min(values)), fmt(max(values)))


def fmt(x):
    return '{:,.0f}'.format(x).replace(',', ' ') if x >= 100 else '{:.3g}'.format(x)


def ratio_spread(values):
    if not values:
        return '—'
    med = statistics.median(values)
    text = '**{:.2f}×**'.format(med)
    return text if len(values) == 1 else '{} ({:.2f}–{:.2f})'.format(text, min(values), max(values))


def table(path):
    rows = parse_results(path)
    # speed[(preset, batch)][side][round] = img/s
    speed = defaultdict(lambda: defaultdict(dict))
    weights = {}
    for r in rows:
        key = (r['preset'], int(r['batch']))
        speed[key][r['side']][r.get('round', '0')] = float(r['img_s'])
        if r['side'].startswith('ours'):
            weights[r['side']] = r.get('weights', 'own')
    ours_sides = sorted({s for k in speed for s in speed[k] if s.startswith('ours')})
    out = ['| preset | batch | ours | ours img/s | ONNX Runtime | PyTorch NCHW | PyTorch channels-last |'
           ' ours / ORT | ours / PyTorch (faster layout) |',
           '|---|---:|---|---:|---:|---:|---:|---:|---:|']
    presets = sorted({k[0] for k in speed}, key=lambda p: (p != 'cifar10', p))
    for preset in presets:
        for batch in sorted(b for p, b in speed if p == preset):
            sides = speed[(preset, batch)]
            ort, nchw, cl = sides.get('ort', {}), sides.get('pytorch-nchw', {}), sides.get('pytorch-cl', {})
            for ours_side in ours_sides or ['ours']:
                ours = sides.get(ours_side, {})
                vs_ort = [ours[k] / ort[k] for k in ours if k in ort]
                vs_pt = [ours[k] / max(v for v in (nchw.get(k), cl.get(k)) if v) for k in ours
                         if nchw.get(k) or cl.get(k)]
                out.append('| {} | {} | {} | {} | {} | {} | {} | {} | {} |'.format(
                    preset, batch, ours_side.replace('ours-', '') or '—', spread(list(ours.values())),
                    spread(list(ort.values())), spread(list(nchw.values())), spread(list(cl.values())),
                    ratio_spread(vs_ort), ratio_spread(vs_pt)))
    rounds = len({r.get('round', '0') for r in rows})
    out.append('')
    out.append('images/s: median over {} round(s) (min–max); ratios: median of the per-round ratios.'.format(rounds))
    for side, w in sorted(weights.items()):
        out.append('{}: {}'.format(side, 'the same weights file as ONNX Runtime and PyTorch' if w == 'same' else
                                   'its own initialisation (same shapes and FLOPs; the values do not change speed)'))
    return '\n'.join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    j = sub.add_parser('jmh')
    j.add_argument('json')
    j.add_argument('--side', required=True)
    j.add_argument('--preset', required=True)
    j.add_argument('--batch', type=int, required=True)
    j.add_argument('--weights', default='')
    t = sub.add_parser('table')
    t.add_argument('results')
    a = p.parse_args()
    if a.cmd == 'jmh':
        print(jmh_line(a.json, a.side, a.preset, a.batch, a.weights))
    else:
        print(table(a.results))


if __name__ == '__main__':
    sys.exit(main())

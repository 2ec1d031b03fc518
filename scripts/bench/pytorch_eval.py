#!/usr/bin/env python3
"""Times the global embedding r1 of the original AMDIM encoder in PyTorch eval mode, images per second.

The weights come from a safetensors file written by export_onnx.py (the same file ONNX Runtime's model was
exported from and the Java side loads); r1 is computed as in the ONNX export, by the encoder's layer_list
alone (embed_encoder.GlobalEmbedding), under model.eval() and torch.no_grad(), in both memory layouts:

    nchw            PyTorch's default layout
    channels_last   the weights and the images in channels-last (NHWC) memory

For each layout and batch it warms up, then times single batches until --min-time seconds and --min-reps
batches have passed, and prints one line per layout and batch:

    RESULT side=pytorch-nchw preset=small batch=32 img_s=1234.5 ms_median=25.9 ms_min=25.1 ms_max=27.3 reps=40

Run it with Debian's interpreter (the libtorch 1.13 of the Java stack) and OMP_WAIT_POLICY=PASSIVE:

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 scripts/bench/pytorch_eval.py --amdim-src /path/to/amdim-public \
        --weights out/small.safetensors --batches 1,32,256 --check
"""
import argparse
import os
import statistics
import time

import numpy as np
import torch

import embed_encoder as ee

LAYOUTS = {'nchw': torch.contiguous_format, 'channels_last': torch.channels_last}
SIDE_NAMES = {'nchw': 'pytorch-nchw', 'channels_last': 'pytorch-cl'}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--amdim-src', default=os.environ.get('AMDIM_SRC'),
                   help='unchanged amdim-public checkout (default: $AMDIM_SRC)')
    p.add_argument('--weights', required=True, help="export_onnx.py's P.safetensors")
    p.add_argument('--batches', default='1,32,256', help='comma-separated batch sizes')
    p.add_argument('--layouts', default='nchw,channels_last', help='comma-separated: nchw, channels_last')
    p.add_argument('--threads', type=int, default=2, help='intra-op threads')
    p.add_argument('--warmup-time', type=float, default=1.0, help='seconds of untimed batches (at least one batch)')
    p.add_argument('--min-time', type=float, default=3.0, help='timed seconds per layout and batch')
    p.add_argument('--min-reps', type=int, default=3, help='timed batches per layout and batch, at least')
    p.add_argument('--check', action='store_true',
                   help="first compare r1 with export_onnx.py's float64 reference (P.check.*) in each layout")
    return p.parse_args()


def check(r1_module, weights, layout, fmt):
    """r1 in this layout against the float64 reference, within the export's float32 rounding bound."""
    stem = weights[:-len('.safetensors')]
    props = {}
    with open(stem + '.check.properties') as f:
        for line in f:
            if '=' in line and not line.startswith('#'):
                k, v = line.strip().split('=', 1)
                props[k] = v
    shape = (int(props['batch']), int(props['channels']), int(props['side']), int(props['side']))
    directory = os.path.dirname(stem)
    x = torch.from_numpy(np.fromfile(os.path.join(directory, props['input']), dtype='<f4').reshape(shape))
    expected = np.fromfile(os.path.join(directory, props['expected']), dtype='<f8')
    with torch.no_grad():
        r1 = r1_module(x.contiguous(memory_format=fmt)).contiguous().numpy().astype(np.float64).ravel()
    err = float(np.linalg.norm(r1 - expected) / np.linalg.norm(expected))
    tol = float(props['rel_tolerance'])
    print('CHECK side={} rel_error={:.3e} rel_tolerance={:.3e} {}'.format(
        SIDE_NAMES[layout], err, tol, 'OK' if err <= tol else 'FAILED'), flush=True)
    return err <= tol


def time_batches(r1_module, x, warmup_time, min_time, min_reps):
    """Seconds per batch of the timed repetitions."""
    def once():
        start = time.perf_counter()
        with torch.no_grad():
            r1_module(x)
        return time.perf_counter() - start

    spent, n = 0.0, 0
    while n < 1 or spent < warmup_time:
        spent += once()
        n += 1
    times = []
    while len(times) < min_reps or sum(times) < min_time:
        times.append(once())
    return times


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    encoder, preset = ee.load_encoder(args.amdim_src, args.weights)
    side = ee.config(preset)['encoder_size']
    batches = [int(b) for b in args.batches.split(',')]
    layouts = args.layouts.split(',')
    for layout in layouts:
        if layout not in LAYOUTS:
            raise SystemExit('unknown layout {!r}: expected {}'.format(layout, ', '.join(LAYOUTS)))
    print('pytorch {} | threads {} | mkldnn {} | preset {}'.format(
        torch.__version__, torch.get_num_threads(), torch.backends.mkldnn.enabled, preset), flush=True)

    failed = False
    for layout in layouts:
        fmt = LAYOUTS[layout]
        r1_module = ee.GlobalEmbedding(encoder.to(memory_format=fmt)).eval()
        if args.check:
            failed |= not check(r1_module, args.weights, layout, fmt)
        for b in batches:
            x = torch.randn(b, 3, side, side).contiguous(memory_format=fmt)
            times = time_batches(r1_module, x, args.warmup_time, args.min_time, args.min_reps)
            med = statistics.median(times)
            print('RESULT side={} preset={} batch={} img_s={:.1f} ms_median={:.3f} ms_min={:.3f} ms_max={:.3f}'
                  ' reps={}'.format(SIDE_NAMES[layout], preset, b, b / med, med * 1e3, min(times) * 1e3,
                                    max(times) * 1e3, len(times)), flush=True)
    if failed:
        raise SystemExit(1)


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Exports the AMDIM encoder's global embedding r1 to ONNX, with the weights every side of the benchmark uses.

The encoder is the original code's (--amdim-src, imported unchanged), at a preset of the embedding benchmark:

    cifar10  ndf 128, n_rkhs 1024, n_depth 3, 32x32, use_bn off (train.py's CIFAR default)
    small    ndf 32,  n_rkhs 256,  n_depth 2, 32x32, use_bn off (amdim --preset small)

Weights: by default AMDIM's initialisation from --seed, then made dense (--init dense): AMDIM starts every
residual branch's second convolution at exactly zero, so a fresh encoder's r1 would not depend on most of its
convolutions and the ONNX-against-PyTorch check below would not test them; dense draws those weights as PyTorch's
default convolution init does and gives the batch norms non-trivial statistics, like a trained model. Speed does
not depend on the values (every kernel here is dense). --weights FILE takes the weights instead from a safetensors
file with the original Encoder's names (`amdim export --checkpoint RUN -o FILE` writes one).

Writes into --out-dir, for preset P:

    P.safetensors          the Encoder's state dict (all of it: heads too, so it loads strictly anywhere)
    P.onnx                 r1 only, input 'images' (B, 3, 32, 32) -> output 'r1' (B, n_rkhs, 1, 1), B dynamic
    P.check.input.f32      a few N(0, 1) images, raw little-endian float32
    P.check.r1.f64         their r1 computed in float64 by PyTorch, raw little-endian float64
    P.check.properties     shapes and the float32 rounding bound for the check (ort-bench --check reads it)

and checks that PyTorch's float32 r1 is within that bound of the float64 one. ONNX Runtime's output is checked
against the same reference by the Java runner (`ort-bench --check`), as Debian has no onnxruntime for Python.

    /usr/bin/python3 scripts/bench/export_onnx.py --amdim-src /path/to/amdim-public --preset small --out-dir out
"""
import argparse
import copy
import math
import os

import numpy as np
import onnx
import torch
import torch.nn as nn

import embed_encoder as ee

CHECK_BATCH = 4
OPSET = 13


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--amdim-src', default=os.environ.get('AMDIM_SRC'),
                   help='unchanged amdim-public checkout (default: $AMDIM_SRC)')
    p.add_argument('--preset', required=True, choices=sorted(ee.PRESETS))
    p.add_argument('--out-dir', required=True)
    p.add_argument('--seed', type=int, default=0, help='seed of the weights and of the check images')
    p.add_argument('--init', choices=('dense', 'amdim'), default='dense',
                   help='dense: AMDIM init, then the zero branch weights and the batch norms drawn at random;'
                        ' amdim: AMDIM init as is')
    p.add_argument('--weights', help='take the weights from this safetensors file instead of --seed/--init')
    return p.parse_args()


def densify(encoder):
    """Draws AMDIM's zero-initialised convolutions (conv2 of every residual branch) as nn.Conv2d's default
    init does, and batch-norm affine parameters and running statistics around their identity values."""
    for m in encoder.modules():
        if isinstance(m, nn.Conv2d) and not m.weight.detach().any():
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5))
        elif isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)


def make_encoder(args, cfg):
    if args.weights:
        encoder, _ = ee.load_encoder(args.amdim_src, args.weights, args.preset)
        return encoder, {'weights_from': os.path.abspath(args.weights)}
    torch.manual_seed(args.seed)
    encoder = ee.build_encoder(ee.import_original(args.amdim_src), cfg)
    encoder.init_weights(init_scale=1.0)  # as Model.init_weights does
    if args.init == 'dense':
        densify(encoder)
    return encoder.eval(), {'seed': args.seed, 'init': args.init}


def export(module, path, side):
    x = torch.randn(2, 3, side, side)
    torch.onnx.export(module, x, path, opset_version=OPSET, input_names=['images'], output_names=['r1'],
                      dynamic_axes={'images': {0: 'batch'}, 'r1': {0: 'batch'}}, do_constant_folding=True)
    model = onnx.load(path)
    onnx.checker.check_model(model)
    batch_dim = model.graph.input[0].type.tensor_type.shape.dim[0]
    if batch_dim.dim_param != 'batch':
        raise SystemExit('{}: the batch axis is not dynamic: {}'.format(path, batch_dim))
    return len(model.graph.node)


def rel_error(actual, expected):
    """Norm-wise relative error |a - e| / |e| (elementwise ratios blow up where r1 crosses zero)."""
    return float(np.linalg.norm(actual - expected) / np.linalg.norm(expected))


def main():
    args = parse_args()
    cfg = ee.config(args.preset)
    os.makedirs(args.out_dir, exist_ok=True)
    stem = os.path.join(args.out_dir, args.preset)

    encoder, origin = make_encoder(args, cfg)
    meta = dict(preset=args.preset, **{k: cfg[k] for k in ('ndf', 'n_rkhs', 'n_depth', 'encoder_size', 'use_bn')},
                **origin)
    ee.save_safetensors(stem + '.safetensors', encoder.state_dict(), meta)

    r1_module = ee.GlobalEmbedding(encoder).eval()
    side = cfg['encoder_size']
    nodes = export(r1_module, stem + '.onnx', side)

    # The check: float32 PyTorch against a float64 copy of the same weights.
    gen = torch.Generator().manual_seed(args.seed + 1)
    x = torch.randn(CHECK_BATCH, 3, side, side, generator=gen)
    with torch.no_grad():
        r1_32 = r1_module(x.clone()).numpy()
        r1_64 = copy.deepcopy(r1_module).double()(x.double()).numpy()
    if r1_32.shape != (CHECK_BATCH, cfg['n_rkhs'], 1, 1):
        raise SystemExit('unexpected r1 shape {}'.format(r1_32.shape))
    bound = ee.rounding_bound(r1_module)
    err = rel_error(r1_32.astype(np.float64), r1_64)
    x.numpy().astype('<f4').tofile(stem + '.check.input.f32')
    r1_64.astype('<f8').tofile(stem + '.check.r1.f64')
    with open(stem + '.check.properties', 'w') as f:
        f.write('# written by export_onnx.py: the check of {}.onnx against PyTorch in float64\n'.format(args.preset))
        f.write('batch={}\nchannels=3\nside={}\nn_rkhs={}\n'.format(CHECK_BATCH, side, cfg['n_rkhs']))
        f.write('input={}\nexpected={}\n'.format(os.path.basename(stem + '.check.input.f32'),
                                                  os.path.basename(stem + '.check.r1.f64')))
        f.write('rel_tolerance={!r}\npytorch_f32_rel_error={!r}\n'.format(bound, err))
    ok = err <= bound
    n_params = sum(p.numel() for p in r1_module.parameters())
    print('export {}: ndf {} n_rkhs {} n_depth {} | r1 path {:,} parameters | {} ONNX nodes (opset {}) | '
          'PyTorch float32 vs float64 rel. error {:.2e} (bound {:.2e}) {}'.format(
              args.preset, cfg['ndf'], cfg['n_rkhs'], cfg['n_depth'], n_params, nodes, OPSET, err, bound,
              'OK' if ok else 'FAILED'))
    print('wrote {}.{{safetensors,onnx,check.*}}'.format(stem))
    if not ok:
        raise SystemExit(1)


if __name__ == '__main__':
    main()

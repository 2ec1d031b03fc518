"""The encoder the embedding benchmarks compare, shared by export_onnx.py and pytorch_eval.py.

It is the original AMDIM Encoder (Philip-Bachman/amdim-public, imported unchanged from --amdim-src with the
apex stub of original_train_step.py), cut to the global embedding r1: the encoder's layer_list run in order,
which is what Encoder.forward computes for r1 (rkhs_block_1 is the identity) without the r5/r7 heads.

Weights travel in the safetensors format (8-byte little-endian header length, JSON header, raw little-endian
data) with the original Encoder's state-dict names, which are also the Java Encoder's, so one file feeds
PyTorch, ONNX Runtime (through the export) and the Java stack. Debian has no python3-safetensors, so the few
lines of the format are written here with numpy.
"""
import contextlib
import io
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

from original_train_step import _install_apex_stub

# The presets of the embedding benchmarks, named as EmbedBench's preset parameter. cifar10 is train.py's
# default encoder for 32x32 images; small is `amdim ... --preset small`. Both 32x32 and use_bn off.
PRESETS = {
    'cifar10': dict(ndf=128, n_rkhs=1024, n_depth=3),
    'small': dict(ndf=32, n_rkhs=256, n_depth=2),
}
INPUT_SIZE = 32
USE_BN = False

_DTYPES = {
    torch.float32: ('F32', np.dtype('<f4')),
    torch.float64: ('F64', np.dtype('<f8')),
    torch.int64: ('I64', np.dtype('<i8')),
}
_BY_NAME = {name: (tdtype, npdtype) for tdtype, (name, npdtype) in _DTYPES.items()}


def config(preset):
    """The encoder configuration of a preset: ndf, n_rkhs, n_depth, encoder_size, use_bn."""
    if preset not in PRESETS:
        raise SystemExit('unknown preset {!r}: expected one of {}'.format(preset, ', '.join(PRESETS)))
    return dict(PRESETS[preset], encoder_size=INPUT_SIZE, use_bn=USE_BN)


def import_original(src_dir):
    """The original's model module, imported from an unchanged checkout without writing into it."""
    src_dir = os.path.abspath(src_dir or '')
    if not os.path.isfile(os.path.join(src_dir, 'model.py')):
        raise SystemExit('--amdim-src {!r}: no model.py there; expected a checkout of amdim-public'
                         .format(src_dir))
    _install_apex_stub()
    sys.path.insert(0, src_dir)
    sys.dont_write_bytecode = True
    import model  # noqa: E402  (the original's model.py)
    return model


def build_encoder(model_module, cfg):
    """The original Encoder for cfg, constructed as Model does (a dummy batch sizes its heads), not initialised."""
    dummy = torch.zeros(2, 3, cfg['encoder_size'], cfg['encoder_size'])
    # The constructor prints "Using a 32x32 encoder"; the drivers' stdout carries only their results.
    with contextlib.redirect_stdout(io.StringIO()):
        return model_module.Encoder(dummy, num_channels=3, ndf=cfg['ndf'], n_rkhs=cfg['n_rkhs'],
                                    n_depth=cfg['n_depth'], encoder_size=cfg['encoder_size'],
                                    use_bn=cfg['use_bn'])


class GlobalEmbedding(nn.Module):
    """r1 (B, n_rkhs, 1, 1) of an original Encoder: its layer_list in order, the heads left out."""

    def __init__(self, encoder):
        super().__init__()
        self.layer_list = encoder.layer_list

    def forward(self, x):
        for layer in self.layer_list:
            x = layer(x)
        return x


def rounding_bound(module):
    """A float32 rounding bound for r1 relative to its norm, from the convolutions on its path.

    Each convolution output is a sum of K products, whose float32 rounding error is about sqrt(K) * u relative
    (u = 2^-24, errors of random sign); the L convolutions of layer_list lie on one path (the residual units
    follow each other), so their errors add in quadrature: sqrt(L) * sqrt(K_max) * u. The factor 4 covers the
    spread of such random sums and the few non-convolution ops (pads, pools, adds, the batch norm).
    Two float32 implementations each within it differ by at most twice that.
    """
    convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
    k_max = max(m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1] for m in convs)
    return 4.0 * math.sqrt(len(convs)) * math.sqrt(k_max) * 2.0 ** -24


def save_safetensors(path, tensors, metadata=None):
    """Writes tensors (name -> CPU tensor) as safetensors, names sorted, data 8-byte aligned."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype not in _DTYPES:
            raise ValueError('{}: dtype {} not supported here'.format(name, t.dtype))
        code, npdtype = _DTYPES[t.dtype]
        data = t.numpy().astype(npdtype, copy=False).tobytes()
        header[name] = {'dtype': code, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_safetensors(path):
    """Reads a safetensors file of F32/F64/I64 tensors: (name -> tensor, metadata)."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack_from('<Q', raw, 0)
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    metadata = header.pop('__metadata__', {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        if e['dtype'] not in _BY_NAME:
            raise ValueError('{}: {}: dtype {} not supported here'.format(path, name, e['dtype']))
        _, npdtype = _BY_NAME[e['dtype']]
        begin, end = e['data_offsets']
        arr = np.frombuffer(raw, dtype=npdtype, count=(end - begin) // npdtype.itemsize, offset=base + begin)
        out[name] = torch.from_numpy(arr.reshape(e['shape']).copy())
    return out, metadata


def load_encoder(src_dir, weights_path, preset=None):
    """The original Encoder with the weights of a safetensors file (export_onnx.py's, or `amdim export`'s with
    preset given), loaded strictly.

    Returns (encoder in eval mode, preset name).
    """
    state, meta = load_safetensors(weights_path)
    preset = preset or meta.get('preset')
    if preset is None:
        raise SystemExit('{}: no preset in its metadata; name it (--preset)'.format(weights_path))
    encoder = build_encoder(import_original(src_dir), config(preset))
    encoder.load_state_dict(state, strict=True)
    return encoder.eval(), preset

#!/usr/bin/env python3
"""Times whole epochs of the original AMDIM training pipeline on an MNIST-family dataset.

This is the end-to-end comparison point for `amdim train --dataset
fashion-mnist` (epoch_vs_original.sh runs both): it drives the unmodified
sources of the original repository (Philip-Bachman/amdim-public, pointed to by
--amdim-src) through its own pipeline, as train.py would for CIFAR-10:

- datasets.build_dataset(Dataset.C10, ...): the CIFAR transforms
  (TransformsC10: flip, reflect-translate, colour jitter, random grey, two
  views per image, all on PIL images) in torch DataLoader worker processes,
  shuffled, drop_last, batch --batch;
- model.Model with the encoder of --preset, init_weights(1.0), as train.py;
- task_self_supervised.train_self_supervised: its Adam and MultiStepLR, then
  _train: every step (forward, NCE, classifiers, warm-up, backward, Adam, the
  per-step .item() reads and training accuracies), and at the epoch's end the
  online evaluation test_model (50 batch-norm warm-up batches, then the whole
  test set) and the checkpoint.

Only the plumbing is redirected, through shims installed before the import
(the checkout is never edited):
- the dataset: build_dataset's torchvision CIFAR10 is replaced by the idx files
  of --data, presented as this project's IdxDataset.Options.CIFAR_LIKE does:
  each 28x28 grey image padded with a 2-pixel zero border to 32x32 and the grey
  value replicated to RGB, held as HWC uint8 like torchvision's CIFAR10 and
  handed to the transforms as a PIL image, as CIFAR10.__getitem__ does;
- the loaders get --workers processes instead of the hard-coded 16;
- the number of epochs: train_self_supervised's 300 becomes --epochs;
- no CUDA and no apex (the shims of original_train_step.py), and no
  tensorboardX (stats.StatTracker's writer becomes a no-op; it writes a few
  scalars per epoch).

To time an epoch of fewer updates than the full 60 000 images give, point
--data at a folder made by idx_subset.py (its first N training images, the
whole test set).

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 scripts/bench/original_epoch.py \
        --amdim-src /path/to/amdim-public --data /tmp/fm-10k --preset tiny --batch 100
"""
import argparse
import gzip
import os
import struct
import sys
import tempfile
import time
import types

import numpy as np
import torch
import torch.utils.data
from PIL import Image

sys.dont_write_bytecode = True  # no __pycache__ beside these scripts or in the original's checkout
from original_train_step import _install_apex_stub, _install_cpu_shims  # noqa: E402  (after the line above)

# This project's encoder presets (tools EncoderOptions): ndf, n_rkhs, n_depth.
PRESETS = {'tiny': (16, 128, 2), 'small': (32, 256, 2), 'default': (128, 1024, 3)}
CLASSES = 10
# IdxDataset.Options.CIFAR_LIKE: pad to this side, replicate grey to RGB.
SIDE = 32


def read_idx(path, magic):
    """An IDX file as a numpy array (raw or gzip, told by the magic bytes, not the name)."""
    with open(path, 'rb') as f:
        head = f.read(2)
    opener = gzip.open if head == b'\x1f\x8b' else open
    with opener(path, 'rb') as f:
        data = f.read()
    dims = data[3]
    fields = struct.unpack('>' + 'i' * (1 + dims), data[:4 * (1 + dims)])
    if fields[0] != magic:
        sys.exit('{}: magic 0x{:08X}, expected 0x{:08X}'.format(path, fields[0], magic))
    return np.frombuffer(data, dtype=np.uint8, offset=4 * (1 + dims)).reshape(fields[1:])


def find(folder, stem):
    for name in (stem, stem + '.gz'):
        if os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    sys.exit('--data {}: neither {} nor {}.gz there'.format(folder, stem, stem))


def cifar_like_dataset_class(folder):
    """A stand-in for torchvision.datasets.CIFAR10 that reads MNIST-family idx files from `folder`."""

    class CifarLikeIdx(torch.utils.data.Dataset):
        def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
            prefix = 'train' if train else 't10k'
            grey = read_idx(find(folder, prefix + '-images-idx3-ubyte'), 0x00000803)
            self.targets = [int(t) for t in read_idx(find(folder, prefix + '-labels-idx1-ubyte'), 0x00000801)]
            rows, cols = grey.shape[1:]
            top, left = (SIDE - rows) // 2, (SIDE - cols) // 2
            data = np.zeros((grey.shape[0], SIDE, SIDE, 3), dtype=np.uint8)
            data[:, top:top + rows, left:left + cols, :] = grey[:, :, :, None]
            self.data = data
            self.transform = transform
            self.target_transform = target_transform

        def __len__(self):
            return len(self.data)

        def __getitem__(self, index):
            img, target = Image.fromarray(self.data[index]), self.targets[index]
            if self.transform is not None:
                img = self.transform(img)
            if self.target_transform is not None:
                target = self.target_transform(target)
            return img, target

    return CifarLikeIdx


def install_tensorboardx_stub():
    """stats.py imports tensorboardX at module level; a writer that drops the few scalars it gets will do."""
    try:
        import tensorboardX  # noqa: F401
        return False
    except ImportError:
        pass

    class SummaryWriter:  # pylint: disable=too-few-public-methods
        def __init__(self, *args, **kwargs):
            pass

        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    module = types.ModuleType('tensorboardX')
    module.SummaryWriter = SummaryWriter
    sys.modules['tensorboardX'] = module
    return True


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--amdim-src', required=True, help='directory of an unchanged amdim-public checkout')
    p.add_argument('--data', default='/usr/share/datasets/fashion-mnist',
                   help='folder with MNIST-family idx files (train-*, t10k-*; raw or .gz)')
    p.add_argument('--preset', choices=sorted(PRESETS), default='tiny', help="this project's encoder preset")
    p.add_argument('--batch', type=int, default=100, help='images per update (and per test batch)')
    p.add_argument('--epochs', type=int, default=1, help='epochs to run')
    p.add_argument('--workers', type=int, default=2, help='DataLoader worker processes (the original: 16)')
    p.add_argument('--threads', type=int, default=2, help='intra-op threads')
    p.add_argument('--seed', type=int, default=1, help="random seed (train.py's default)")
    p.add_argument('--output', help='checkpoint directory (default: a temporary one, removed at the end)')
    return p.parse_args()


def main():
    start = time.perf_counter()
    args = parse_args()
    src = os.path.abspath(args.amdim_src)
    if not os.path.isfile(os.path.join(src, 'task_self_supervised.py')):
        sys.exit('--amdim-src {}: no task_self_supervised.py there; expected a checkout of amdim-public'.format(src))
    apex_stubbed = _install_apex_stub()
    cpu_shims = _install_cpu_shims()
    tbx_stubbed = install_tensorboardx_stub()
    sys.path.insert(0, src)
    import datasets as orig_datasets
    import task_self_supervised
    from checkpoint import Checkpointer
    from model import Model
    from stats import StatTracker

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    # The dataset shim: build_dataset's torchvision module, seen through its CIFAR10 only.
    orig_datasets.datasets = types.SimpleNamespace(CIFAR10=cifar_like_dataset_class(os.path.abspath(args.data)))
    # The worker shim: build_dataset calls torch.utils.data.DataLoader(..., num_workers=16).
    loader_class = torch.utils.data.DataLoader

    def loader_with_workers(*a, **kw):
        kw['num_workers'] = args.workers
        return loader_class(*a, **kw)

    torch.utils.data.DataLoader = loader_with_workers
    try:
        train_loader, test_loader, num_classes = orig_datasets.build_dataset(
            dataset=orig_datasets.Dataset.C10, batch_size=args.batch)
    finally:
        torch.utils.data.DataLoader = loader_class

    # The epoch shim: train_self_supervised hands _train its 300 epochs for CIFAR.
    original_train = task_self_supervised._train

    def train_for(model, optim_inf, scheduler_inf, checkpointer, epochs, *rest):
        return original_train(model, optim_inf, scheduler_inf, checkpointer, args.epochs, *rest)

    task_self_supervised._train = train_for

    ndf, n_rkhs, n_depth = PRESETS[args.preset]
    with tempfile.TemporaryDirectory(prefix='original-epoch-') as scratch:
        out_dir = args.output or scratch
        os.makedirs(out_dir, exist_ok=True)
        # As train.py's main(), on the CPU.
        model = Model(ndf=ndf, n_classes=num_classes, n_rkhs=n_rkhs, tclip=20.0, n_depth=n_depth,
                      encoder_size=orig_datasets.get_encoder_size(orig_datasets.Dataset.C10), use_bn=False)
        model.init_weights(init_scale=1.0)
        checkpointer = Checkpointer(out_dir)
        checkpointer.track_new_model(model)
        device = torch.device('cpu')
        model = model.to(device)
        stat_tracker = StatTracker(log_dir=os.path.join(out_dir, 'stats'))
        updates = len(train_loader) * args.epochs
        print('torch {} | threads {} | preset {} (ndf {}, n_rkhs {}, n_depth {}) | batch {} | workers {} | '
              '{} train / {} test images | {} updates | apex stub {} | cpu shims {} | tensorboardX stub {}'.format(
                  torch.__version__, torch.get_num_threads(), args.preset, ndf, n_rkhs, n_depth, args.batch,
                  args.workers, len(train_loader.dataset), len(test_loader.dataset), updates, apex_stubbed,
                  cpu_shims, tbx_stubbed), flush=True)
        setup = time.perf_counter() - start
        t0 = time.perf_counter()
        task_self_supervised.train_self_supervised(model, 2e-4, orig_datasets.Dataset.C10, train_loader,
                                                   test_loader, stat_tracker, checkpointer, out_dir, device)
        elapsed = time.perf_counter() - t0
    print('original AMDIM epochs: {} x {} updates at batch {} + test pass: {:.2f} s (set-up before them: {:.2f} s'
          ' for the data, loaders and model)'.format(args.epochs, len(train_loader), args.batch, elapsed, setup),
          flush=True)


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Times one self-supervised training step of the original AMDIM code on CPU.

This is the comparison point for the Java TrainStepBench: instead of a
re-implementation, it drives the unmodified Python sources of the original
repository (Philip-Bachman/amdim-public), pointed to by --amdim-src.

What one timed step contains: the body of the training loop in
task_self_supervised._train (forward over both views, the infomax and
classifier losses, the learning-rate warm-up scaling, zero_grad, backward,
optimizer step and the per-step .item() reads of the logged scalars), fed with
fixed random tensors instead of the data loader. The model uses train.py's
default hyper-parameters for CIFAR-10 (32x32 inputs, 10 classes) and the
optimizer is configured as in task_self_supervised.train_self_supervised.

The original code expects apex and a CUDA device. Rather than editing it, this
driver installs a few small shims before importing it (see
_install_cpu_shims); they only redirect device plumbing, not the computation.

Run it with Debian's interpreter so the libtorch matches the Java stack:

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 scripts/bench/original_train_step.py \
        --amdim-src /path/to/amdim-public --batch 32
"""
import argparse
import os
import resource
import statistics
import sys
import time
import types

import torch
import torch.optim as optim

# train.py defaults, with the CIFAR-10 specific values filled in.
MODEL_CONFIG = dict(ndf=128, n_classes=10, n_rkhs=1024, tclip=20.0, n_depth=3,
                    encoder_size=32, use_bn=False)
LEARNING_RATE = 2e-4
SEED = 1
IMAGE_SHAPE = (3, 32, 32)
LR_WARMUP_UPDATES = 500


def _install_apex_stub():
    """Make `from apex.fp16_utils import FP16_Optimizer` succeed without apex.

    mixed_precision.py imports that name at module level, but only touches apex
    when mixed precision is switched on, which this benchmark never does. The
    stub class is only compared against with type(...) == ..., so it never
    matches a real optimizer; constructing it raises.
    """
    try:
        import apex.fp16_utils  # noqa: F401
        return False
    except ImportError:
        pass

    class FP16_Optimizer:  # pylint: disable=invalid-name
        def __init__(self, *args, **kwargs):
            raise RuntimeError('apex is not installed; this is a stub for '
                               'the CPU benchmark and cannot be used')

    apex = types.ModuleType('apex')
    fp16_utils = types.ModuleType('apex.fp16_utils')
    fp16_utils.FP16_Optimizer = FP16_Optimizer
    apex.fp16_utils = fp16_utils
    sys.modules['apex'] = apex
    sys.modules['apex.fp16_utils'] = fp16_utils
    return True


def _install_cpu_shims():
    """Let the CUDA-only spots of the original run on a CPU-only PyTorch.

    Returns True when the shims were installed (i.e. CUDA is unavailable).
    """
    if torch.cuda.is_available():
        return False

    # Shim 1: costs.py builds its NCE mask with torch.eye(n).cuda(). On a GPU
    # that is the same identity matrix, just moved to the device; here the
    # tensor stays on the CPU next to everything else. Values are untouched,
    # so the loss computed from it is the same.
    def _stay_on_cpu(self, device=None, non_blocking=False, **kwargs):
        return self
    torch.Tensor.cuda = _stay_on_cpu

    # Shim 2: costs.py replicates the NCE targets once per GPU with
    # expand(torch.cuda.device_count(), ...), which fails for a count of 0.
    # Reporting one device gives the single-GPU layout the code was written
    # for: a leading dimension of size 1 that nn.DataParallel-style code would
    # otherwise split. The multi-GPU workload tricks stay off (they need >= 4
    # or >= 6 devices), so the arithmetic is that of a one-GPU run.
    torch.cuda.device_count = lambda: 1
    return True


def _import_original(src_dir):
    """Import the modules the benchmark needs from the original checkout."""
    src_dir = os.path.abspath(src_dir)
    if not os.path.isfile(os.path.join(src_dir, 'model.py')):
        sys.exit('--amdim-src {}: no model.py there; expected a checkout of '
                 'amdim-public'.format(src_dir))
    sys.path.insert(0, src_dir)
    # Leave the checkout exactly as it was: no __pycache__ written into it.
    sys.dont_write_bytecode = True
    import mixed_precision
    from costs import loss_xent
    from model import Model
    return mixed_precision, loss_xent, Model


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--amdim-src', required=True,
                   help='directory of an unchanged amdim-public checkout')
    p.add_argument('--batch', type=int, default=32,
                   help='images per view (the step sees 2x this many)')
    p.add_argument('--steps', type=int, default=5, help='timed steps')
    p.add_argument('--threads', type=int, default=2, help='intra-op threads')
    p.add_argument('--warmup', type=int, default=1,
                   help='untimed steps run first')
    return p.parse_args()


def main():
    args = parse_args()
    apex_stubbed = _install_apex_stub()
    cpu_shims = _install_cpu_shims()
    mixed_precision, loss_xent, Model = _import_original(args.amdim_src)

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    device = torch.device('cpu')

    model = Model(**MODEL_CONFIG)
    model.init_weights(init_scale=1.0)
    model = model.to(device)

    # Optimizer: one Adam parameter group per info and class module.
    trained_modules = list(model.info_modules) + list(model.class_modules)
    optimizer = optim.Adam(
        [{'params': m.parameters(), 'lr': LEARNING_RATE}
         for m in trained_modules],
        betas=(0.8, 0.999), weight_decay=1e-5, eps=1e-8)

    # Same hand-off through mixed_precision as the training loop (a no-op
    # here, since mixed precision is off).
    model, optim_inf = mixed_precision.initialize(model, optimizer)
    optim_raw = mixed_precision.get_optimizer(optim_inf)
    base_lr = optim_raw.param_groups[-1]['lr']

    n_params = sum(p.numel() for m in trained_modules for p in m.parameters()
                   if p.dtype.is_floating_point)
    print('torch {} | threads {} | mkldnn {} | batch {} | params {:,} | '
          'apex stub {} | cpu shims {}'.format(
              torch.__version__, torch.get_num_threads(),
              torch.backends.mkldnn.enabled, args.batch, n_params,
              apex_stubbed, cpu_shims), flush=True)

    views = (torch.randn(args.batch, *IMAGE_SHAPE),
             torch.randn(args.batch, *IMAGE_SHAPE))
    class_ids = torch.randint(0, MODEL_CONFIG['n_classes'], (args.batch,))
    updates_done = 0

    def train_step():
        nonlocal updates_done
        labels = torch.cat([class_ids, class_ids]).to(device)
        x1, x2 = views[0].to(device), views[1].to(device)
        out = model(x1=x1, x2=x2, class_only=False)
        logits_mlp, logits_lin = out['class']
        loss_g2l = out['g2l_1t5'] + out['g2l_1t7'] + out['g2l_5t5']
        loss_inf = loss_g2l + out['lgt_reg']
        loss_cls = loss_xent(logits_mlp, labels) + loss_xent(logits_lin, labels)
        if updates_done < LR_WARMUP_UPDATES:
            scale = min(1.0, (updates_done + 1) / LR_WARMUP_UPDATES)
            for group in optim_raw.param_groups:
                group['lr'] = scale * base_lr
        optim_inf.zero_grad()
        mixed_precision.backward(loss_inf + loss_cls, optim_inf)
        optim_inf.step()
        # The training loop reads these scalars back every step for its
        # statistics; each .item() is a synchronisation point, so keep them.
        logged = {
            'loss_inf': loss_inf.item(),
            'loss_cls': loss_cls.item(),
            'loss_g2l': loss_g2l.item(),
            'lgt_reg': out['lgt_reg'].item(),
            'loss_g2l_1t5': out['g2l_1t5'].item(),
            'loss_g2l_1t7': out['g2l_1t7'].item(),
            'loss_g2l_5t5': out['g2l_5t5'].item(),
        }
        updates_done += 1
        return logged

    def timed_step(label):
        start = time.perf_counter()
        logged = train_step()
        elapsed = time.perf_counter() - start
        print('{}: {:.3f} s  loss_inf={:.4f} loss_cls={:.4f}'.format(
            label, elapsed, logged['loss_inf'], logged['loss_cls']),
            flush=True)
        return elapsed

    for i in range(args.warmup):
        timed_step('warm-up step {}'.format(i))
    durations = [timed_step('step {}'.format(i)) for i in range(args.steps)]
    if not durations:
        return

    median = statistics.median(durations)
    # Linux reports ru_maxrss in KiB: the process's VmHWM, what TrainStepBench prints for its JVM.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print('peak RSS (VmHWM) of this process {} MiB'.format(peak_mib))
    print('original AMDIM step: batch {} threads {}: median {:.3f} s/step, '
          '{:.2f} img/s (min {:.3f} s, max {:.3f} s)'.format(
              args.batch, torch.get_num_threads(), median,
              args.batch / median, min(durations), max(durations)))


if __name__ == '__main__':
    main()

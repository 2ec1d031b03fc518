#!/usr/bin/env python3
"""Writes an MNIST-family dataset folder whose training split is the first N images of another.

The end-to-end comparison (epoch_vs_original.sh) times whole epochs of this
project and of the original AMDIM code; a full Fashion-MNIST epoch (600
updates at batch 100) is longer than a benchmark should be, so both sides get
the same shorter epoch instead: a folder whose train-* files hold the first
N images and labels of the source folder (raw IDX, header count rewritten),
and whose t10k-* files link to the source's, so that the epoch-end test pass
stays the whole test set. Both sides then read exactly the same files.

    python3 scripts/bench/idx_subset.py --source /usr/share/datasets/fashion-mnist \
        --train-images 10000 --output /tmp/fm-10k

Standard library only; any Python 3 runs it.
"""
import argparse
import gzip
import os
import struct
import sys

IMAGE_MAGIC = 0x00000803
LABEL_MAGIC = 0x00000801


def find(folder, stem):
    """The raw or gzip file of that standard name, or exit naming what is missing."""
    for name in (stem, stem + '.gz'):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    sys.exit('idx_subset: neither {0} nor {0}.gz in {1}'.format(stem, folder))


def read(path):
    """The file's bytes, inflated when it starts with the gzip magic (the name does not decide)."""
    with open(path, 'rb') as f:
        head = f.read(2)
    opener = gzip.open if head == b'\x1f\x8b' else open
    with opener(path, 'rb') as f:
        return f.read()


def subset(data, magic, header_ints, count, path):
    """The first `count` records of an IDX file, with the header's count rewritten."""
    fields = struct.unpack('>' + 'i' * header_ints, data[:4 * header_ints])
    if fields[0] != magic:
        sys.exit('idx_subset: {}: magic 0x{:08X}, expected 0x{:08X}'.format(path, fields[0], magic))
    total = fields[1]
    if count > total:
        sys.exit('idx_subset: {} holds {} records, fewer than the {} asked for'.format(path, total, count))
    record = 1
    for dim in fields[2:]:
        record *= dim
    start = 4 * header_ints
    header = struct.pack('>' + 'i' * header_ints, magic, count, *fields[2:])
    return header + data[start:start + count * record]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--source', default='/usr/share/datasets/fashion-mnist',
                   help='folder with train-/t10k- images and labels (raw or .gz)')
    p.add_argument('--train-images', type=int, required=True, help='training images to keep (the first ones)')
    p.add_argument('--output', required=True, help='folder to write (created)')
    args = p.parse_args()
    if args.train_images < 1:
        sys.exit('idx_subset: --train-images must be >= 1')
    os.makedirs(args.output, exist_ok=True)
    images = find(args.source, 'train-images-idx3-ubyte')
    labels = find(args.source, 'train-labels-idx1-ubyte')
    with open(os.path.join(args.output, 'train-images-idx3-ubyte'), 'wb') as f:
        f.write(subset(read(images), IMAGE_MAGIC, 4, args.train_images, images))
    with open(os.path.join(args.output, 'train-labels-idx1-ubyte'), 'wb') as f:
        f.write(subset(read(labels), LABEL_MAGIC, 2, args.train_images, labels))
    for stem in ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
        src = os.path.abspath(find(args.source, stem))
        link = os.path.join(args.output, os.path.basename(src))
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(src, link)
    print('idx_subset: {} training images of {} in {}'.format(args.train_images, args.source, args.output))


if __name__ == '__main__':
    main()

package org.amdim.nn.io.pth;

import java.util.Arrays;

/**
 * A tensor as a pickle describes it ({@code torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)}):
 * a strided view of a storage. Construction checks that every element the view can address lies inside the
 * storage, so a file whose tensors reach past their storage is refused before anything is read.
 *
 * @param storage the storage it views
 * @param offset  the index (in elements) of its first element in the storage
 * @param shape   its sizes, each at least 0
 * @param stride  its strides in elements, each at least 0 (PyTorch never writes negative strides)
 */
public record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {
    /**
     * Validates the view against its storage.
     *
     * @throws IllegalArgumentException naming the problem when the view is malformed or leaves the storage
     */
    public TensorRef {
        shape = shape.clone();
        stride = stride.clone();
        if (shape.length != stride.length) {
            throw new IllegalArgumentException("size " + Arrays.toString(shape) + " and stride "
                    + Arrays.toString(stride) + " have different ranks");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("negative storage offset " + offset);
        }
        long last = offset;
        boolean empty = false;
        try {
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0 || stride[i] < 0) {
                    throw new IllegalArgumentException("negative size or stride: size " + Arrays.toString(shape)
                            + ", stride " + Arrays.toString(stride));
                }
                if (shape[i] == 0) {
                    empty = true;
                } else {
                    last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
                }
            }
            numel(shape);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("size " + Arrays.toString(shape) + " with stride "
                    + Arrays.toString(stride) + " overflows 64-bit indexing");
        }
        if (!empty && last >= storage.numel()) {
            throw new IllegalArgumentException("a tensor of size " + Arrays.toString(shape) + ", stride "
                    + Arrays.toString(stride) + " at offset " + offset + " reaches element " + last + " of storage '"
                    + storage.key() + "', which holds " + storage.numel());
        }
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    /** The number of elements. */
    public long numel() {
        return numel(shape);
    }

    /** Its sizes (a copy). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Its strides (a copy). */
    @Override
    public long[] stride() {
        return stride.clone();
    }

    /** Whether the elements lie in row-major order without gaps (so the bytes can be taken as they are). */
    public boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorRef t && storage.equals(t.storage) && offset == t.offset
                && Arrays.equals(shape, t.shape) && Arrays.equals(stride, t.stride);
    }

    @Override
    public int hashCode() {
        return (storage.hashCode() * 31 + Long.hashCode(offset)) * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "tensor(" + storage.dtype() + " " + Arrays.toString(shape) + ", storage '" + storage.key() + "')";
    }
}

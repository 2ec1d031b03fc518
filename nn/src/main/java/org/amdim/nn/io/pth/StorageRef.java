package org.amdim.nn.io.pth;

import org.amdim.tensor.DType;

/**
 * A storage named by a pickle's persistent id: where its bytes are, not the bytes themselves. Tensors are views
 * of storages; several tensors may share one.
 *
 * @param key      the storage's key in the file (a record name in the zip format, a listed key in the legacy one)
 * @param dtype    the element type, from the storage class ({@code torch.FloatStorage} is float32)
 * @param numel    the number of elements the pickle says the storage holds; checked against the data
 * @param location the device it was saved from ({@code cpu}, {@code cuda:0}); everything is read onto the CPU
 */
public record StorageRef(String key, DType dtype, long numel, String location) {
    /** The storage's size in bytes. */
    public long byteSize() {
        return Math.multiplyExact(numel, (long) dtype.byteSize());
    }
}

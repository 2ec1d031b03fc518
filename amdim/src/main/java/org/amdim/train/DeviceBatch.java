package org.amdim.train;

import org.amdim.data.HostBatch;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * One loader batch as tensors on the training device, the counterpart of the {@link HostBatch} it is copied
 * from: one native copy per view and one for the labels, whatever the batch size.
 *
 * @param x1     first views (B, C, H, W), float32
 * @param x2     second views, or null for a single-view (test) batch
 * @param labels int64 (B), −1 for unlabelled images
 */
public record DeviceBatch(Tensor x1, Tensor x2, Tensor labels) implements AutoCloseable {

    /** Copies a host batch onto {@code device} (the host batch stays owned by the caller). */
    public static DeviceBatch of(HostBatch batch, Device device) {
        long[] shape = batch.viewShape();
        try (var scope = TensorScope.open()) {
            Tensor x1 = onDevice(Tensor.fromSegment(batch.view1(), DType.FLOAT32, shape), device);
            Tensor x2 = batch.viewCount() > 1
                    ? onDevice(Tensor.fromSegment(batch.view2(), DType.FLOAT32, shape), device) : null;
            Tensor labels = onDevice(Tensor.fromSegment(batch.labels(), DType.INT64, batch.size()), device);
            scope.keep(x1);
            if (x2 != null) {
                scope.keep(x2);
            }
            scope.keep(labels);
            return new DeviceBatch(x1, x2, labels);
        }
    }

    private static Tensor onDevice(Tensor host, Device device) {
        return device.isCuda() ? host.pinMemory().to(device, true) : host;
    }

    /** Number of images. */
    public long size() {
        return x1.size(0);
    }

    @Override
    public void close() {
        x1.close();
        if (x2 != null) {
            x2.close();
        }
        labels.close();
    }
}

package org.amdim.tensor;

import java.util.Locale;

/**
 * Prints tensors the way PyTorch does: {@code tensor([[1., 2.], [3., 4.]])}, a common element width, fixed
 * notation with 4 decimals (scientific when the magnitudes span too much), summarised with {@code ...} beyond
 * 1000 elements, then the dtype (unless float32, int64 or bool), the layout (unless strided), the device (unless
 * the CPU) and {@code requires_grad=True}.
 */
final class TensorFormatter {
    private static final int SUMMARY_THRESHOLD = 1000;
    private static final int EDGE_ITEMS = 3;
    private static final long MAX_PRINTED_ELEMENTS = 1L << 22;

    private TensorFormatter() {
    }

    static String format(Tensor t) {
        long[] shape = t.shape();
        DType dtype = t.dtype();
        long numel = t.numel();
        StringBuilder sb = new StringBuilder("tensor(");
        if (numel > MAX_PRINTED_ELEMENTS) {
            sb.append("<").append(numel).append(" elements>, size=").append(sizeString(shape));
        } else if (numel == 0) {
            sb.append("[]");
            if (shape.length > 1) {
                sb.append(", size=").append(sizeString(shape));
            }
        } else {
            double[] values = dtype == DType.BOOL ? booleansAsDoubles(t) : t.toDoubleArray();
            boolean summarize = numel > SUMMARY_THRESHOLD;
            ElementFormat fmt = ElementFormat.of(values, dtype);
            int[] strides = new int[shape.length];
            int acc = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                strides[d] = acc;
                acc *= (int) shape[d];
            }
            appendDim(sb, values, shape, strides, 0, 0, fmt, summarize, "tensor(".length());
        }
        if (dtype != DType.FLOAT32 && dtype != DType.INT64 && dtype != DType.BOOL) {
            sb.append(", dtype=").append(dtype.torchName());
        }
        if (t.layout() == Layout.MKLDNN) {
            sb.append(", layout=torch._mkldnn");
        }
        Device device = t.device();
        if (device.isCuda()) {
            sb.append(", device='").append(device).append("'");
        }
        if (t.requiresGrad()) {
            sb.append(", requires_grad=True");
        }
        return sb.append(')').toString();
    }

    private static double[] booleansAsDoubles(Tensor t) {
        boolean[] b = t.toBooleanArray();
        double[] d = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            d[i] = b[i] ? 1 : 0;
        }
        return d;
    }

    private static String sizeString(long[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    private static void appendDim(StringBuilder sb, double[] v, long[] shape, int[] strides, int dim, int offset,
            ElementFormat fmt, boolean summarize, int indent) {
        if (dim == shape.length) {
            sb.append(fmt.format(v[offset]));
            return;
        }
        int n = (int) shape[dim];
        sb.append('[');
        boolean cut = summarize && n > 2 * EDGE_ITEMS;
        for (int i = 0; i < n; i++) {
            if (cut && i == EDGE_ITEMS) {
                sb.append(dim == shape.length - 1 ? " ..., " : "...,\n" + " ".repeat(indent + dim + 1));
                i = n - EDGE_ITEMS;
            }
            appendDim(sb, v, shape, strides, dim + 1, offset + i * strides[dim], fmt, summarize, indent);
            if (i < n - 1) {
                if (dim == shape.length - 1) {
                    sb.append(", ");
                } else {
                    sb.append(',').append("\n".repeat(shape.length - dim - 1)).append(" ".repeat(indent + dim + 1));
                }
            }
        }
        sb.append(']');
    }

    /** How every element of one tensor is printed, so that columns line up. */
    private record ElementFormat(DType dtype, boolean integral, boolean scientific, int width) {
        static ElementFormat of(double[] values, DType dtype) {
            boolean integral = true;
            double maxAbs = 0;
            double minAbs = Double.MAX_VALUE;
            for (double x : values) {
                if (Double.isFinite(x)) {
                    if (x != Math.rint(x)) {
                        integral = false;
                    }
                    double a = Math.abs(x);
                    maxAbs = Math.max(maxAbs, a);
                    if (a > 0) {
                        minAbs = Math.min(minAbs, a);
                    }
                }
            }
            boolean scientific = dtype.isFloatingPoint()
                    && (maxAbs >= 1e8 || (!integral && (maxAbs / minAbs > 1000 || maxAbs < 1e-4)));
            ElementFormat probe = new ElementFormat(dtype, integral, scientific, 0);
            int width = 0;
            for (double x : values) {
                width = Math.max(width, probe.raw(x).length());
            }
            return new ElementFormat(dtype, integral, scientific, width);
        }

        String format(double x) {
            String s = raw(x);
            return " ".repeat(Math.max(0, width - s.length())) + s;
        }

        private String raw(double x) {
            if (dtype == DType.BOOL) {
                return x != 0 ? "True" : "False";
            }
            if (!dtype.isFloatingPoint()) {
                return Long.toString((long) x);
            }
            if (Double.isNaN(x)) {
                return "nan";
            }
            if (Double.isInfinite(x)) {
                return x > 0 ? "inf" : "-inf";
            }
            if (scientific) {
                return String.format(Locale.ROOT, "%.4e", x);
            }
            if (integral) {
                return String.format(Locale.ROOT, "%.0f.", x);
            }
            return String.format(Locale.ROOT, "%.4f", x);
        }
    }
}

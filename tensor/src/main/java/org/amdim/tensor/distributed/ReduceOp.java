package org.amdim.tensor.distributed;

/** How {@link ProcessGroup#allReduce} combines the ranks' values. */
public enum ReduceOp {
    /** The element-wise sum over all ranks. */
    SUM,
    /** The element-wise mean over all ranks (sum, then division by the world size); floating point only. */
    MEAN
}

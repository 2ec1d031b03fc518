/**
 * Readers for on-disk image datasets: CIFAR-10/100 and STL-10 binaries, MNIST-style IDX files
 * (raw or gzip), and image folders (one sub-folder per class).
 *
 * <p>Binary formats are memory-mapped and read on demand, so opening the 2.6 GB STL-10 unlabeled
 * split costs a header check, not a load. Every reader validates what it can at open time (file
 * sizes against record sizes and headers, every label's range) and throws
 * {@link org.amdim.data.DatasetFormatException} naming the file, and where it applies the record
 * and byte offset, or {@link java.nio.file.NoSuchFileException} naming what is missing. Nothing is
 * skipped silently and no read goes past a file's end.
 */
package org.amdim.data.io;

/**
 * Data pipeline of the AMDIM re-implementation: datasets, augmentation and a multi-threaded batch
 * loader, in pure JDK code (the only native piece is off-heap memory from {@link java.lang.foreign}).
 *
 * <p>The pieces fit together as follows:
 *
 * <ul>
 *   <li>{@link org.amdim.data.ImageDataset} gives random access to uint8 images (HWC) and labels;
 *       readers for the usual formats live in {@code org.amdim.data.io}, a procedural dataset in
 *       {@code org.amdim.data.synthetic}.
 *   <li>{@link org.amdim.data.SampleTransform} turns one decoded image into one or two float views
 *       (AMDIM's augmentation is in {@code org.amdim.data.augment}).
 *   <li>{@link org.amdim.data.DataLoader} runs the transform on background threads and hands out
 *       {@link org.amdim.data.HostBatch}es: contiguous little-endian float32 NCHW buffers that a tensor
 *       bridge can copy in one go.
 * </ul>
 *
 * <p>Everything random is derived from a seed, the epoch and the dataset index, never from thread
 * scheduling, so a run is reproducible whatever the number of worker threads.
 */
package org.amdim.data;

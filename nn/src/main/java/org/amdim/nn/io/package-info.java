/**
 * File formats for parameters, checkpoints and metrics, in plain JDK code.
 *
 * <ul>
 *   <li>{@link org.amdim.nn.io.SafetensorsFile} reads safetensors files (the format of the
 *       project's reference vectors and of Hugging Face checkpoints): memory-mapped, validated
 *       completely before use, with zero-copy {@link java.lang.foreign.MemorySegment} views of
 *       each tensor's little-endian bytes.</li>
 *   <li>{@link org.amdim.nn.io.SafetensorsWriter} writes them atomically (temporary file, fsync,
 *       atomic rename), in the same layout as the reference files.</li>
 *   <li>{@link org.amdim.nn.io.Json} is the strict JSON parser and compact writer used for the
 *       safetensors header and reusable for metadata and metrics.</li>
 * </ul>
 *
 * <p>This package deliberately knows nothing about tensors: it deals in byte views, shapes and
 * element types, so it can be tested without the native library, and the bridge to tensors lives
 * with the tensor code.
 *
 * <p>Files are untrusted input. Every length, offset and shape in a safetensors header is checked
 * against the real file size with overflow-checked arithmetic before anything is allocated or
 * read, and any problem is reported as a {@link org.amdim.nn.io.SafetensorsFormatException}
 * naming the file and, where there is one, the tensor.
 */
package org.amdim.nn.io;

package org.amdim.nn.io;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A CRC-32C over named tensors' bytes, stored in a file's metadata under {@link #KEY} so that bytes damaged on
 * disk are noticed on load instead of training on (or evaluating) silently wrong weights. The safetensors header
 * is checked by its parser; this covers the data section, which no parser can judge.
 *
 * <p>Covered, for each tensor in name order ({@link String#compareTo}): its name's UTF-8 bytes, then its data
 * bytes, so a swap of two equally sized tensors is noticed too.
 */
public final class DataChecksum {
    /** The metadata key holding the checksum, as 8 lower-case hex digits. */
    public static final String KEY = "data_crc32c";

    /** {@link CRC32C#update(java.nio.ByteBuffer)} takes int-sized buffers: larger tensors go in slices. */
    private static final long SLICE = 1L << 30;

    private DataChecksum() {
    }

    /** The checksum of {@code data} (name to native or heap bytes), as stored under {@link #KEY}. */
    public static String of(Map<String, MemorySegment> data) {
        List<String> names = new ArrayList<>(data.keySet());
        names.sort(null);
        CRC32C crc = new CRC32C();
        for (String name : names) {
            crc.update(name.getBytes(StandardCharsets.UTF_8));
            MemorySegment bytes = data.get(name);
            for (long at = 0; at < bytes.byteSize(); at += SLICE) {
                crc.update(bytes.asSlice(at, Math.min(SLICE, bytes.byteSize() - at)).asByteBuffer());
            }
        }
        return HexFormat.of().toHexDigits((int) crc.getValue());
    }
}

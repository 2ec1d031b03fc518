package org.amdim.nn.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds safetensors byte images by hand, for tests that need malformed files. */
final class RawSafetensors {
    private RawSafetensors() {
    }

    /** Length field (N = header length), header bytes as given (no padding), then data. */
    static byte[] image(byte[] header, byte[] data) {
        return image(header.length, header, data);
    }

    /** Like {@link #image(byte[], byte[])} with a header given as text. */
    static byte[] image(String header, byte[] data) {
        return image(header.getBytes(StandardCharsets.UTF_8), data);
    }

    /** Image with an arbitrary (possibly lying) length field. */
    static byte[] image(long declaredLength, byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header).put(data);
        return b.array();
    }

    /** One-tensor header text. */
    static String tensor(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape
                + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }
}

package org.amdim.nn.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Bytes flipped in a checkpoint's tensor data are noticed on load, with the file named. */
@ExtendWith(NoLeaks.class)
class DataChecksumTest {
    @TempDir
    Path dir;

    private Path saved(boolean checksum) throws IOException {
        Path file = dir.resolve(checksum ? "with.safetensors" : "without.safetensors");
        try (var scope = TensorScope.open()) {
            Map<String, Tensor> tensors = Map.of("a", Tensor.arange(0, 1000, 1, org.amdim.tensor.DType.FLOAT32,
                    org.amdim.tensor.Device.CPU), "b", Tensor.ones(3, 3));
            if (checksum) {
                TensorFiles.saveWithChecksum(file, tensors, Map.of("step", "7"));
            } else {
                TensorFiles.save(file, tensors, Map.of("step", "7"));
            }
        }
        return file;
    }

    /** Flips one bit of the byte {@code fromEnd} bytes before the end: inside the data section. */
    private static void flip(Path file, long fromEnd) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long at = f.length() - fromEnd;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x10);
        }
    }

    @Test
    void anIntactFileLoadsAndCarriesItsChecksum() throws IOException {
        Path file = saved(true);
        try (NamedTensors t = TensorFiles.load(file); var scope = TensorScope.open()) {
            assertEquals(8, t.metadata().get(DataChecksum.KEY).length());
            assertEquals(999.0, t.tensors().get("a").max().item());
        }
    }

    @Test
    void aFlippedDataByteIsRefusedNamingTheFile() throws IOException {
        Path file = saved(true);
        flip(file, 2000);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> TensorFiles.load(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("does not match its checksum"), e.getMessage());
    }

    @Test
    void filesWithoutAChecksumLoadAsBefore() throws IOException {
        Path file = saved(false);
        flip(file, 2000);
        try (NamedTensors t = TensorFiles.load(file)) {
            assertFalse(t.metadata().containsKey(DataChecksum.KEY));
        }
        assertTrue(Files.size(file) > 4000);
    }
}

package org.amdim.nn.io.pth;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Damaged copies of real PyTorch files (cut at every length, and with bytes overwritten at random) either read or
 * fail with an {@link IOException}: never another exception, an error, or a crash. Whatever reads is then loaded
 * tensor by tensor, which must work too.
 */
@ExtendWith(NoLeaks.class)
class PthFuzzTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"state_dict_legacy.pth", "state_dict_zip.pth"})
    void everyTruncationIsAnIoError(String name) throws IOException {
        byte[] good = Files.readAllBytes(PthFixtures.path(name));
        Path f = tmp.resolve(name);
        int refused = 0;
        for (int len = 0; len < good.length; len++) {
            Files.write(f, java.util.Arrays.copyOf(good, len));
            refused += tryRead(f, name + " cut to " + len) ? 0 : 1;
        }
        // A zip archive cut inside its central directory cannot be opened; a legacy file lacks its data.
        assertTrue(refused == good.length, name + ": only " + refused + " of " + good.length + " cuts refused");
    }

    @ParameterizedTest
    @ValueSource(strings = {"state_dict_legacy.pth", "state_dict_zip.pth", "hostile/valid_legacy.pth"})
    void randomByteDamageIsReadOrRefused(String name) throws IOException {
        byte[] good = Files.readAllBytes(PthFixtures.path(name));
        Path f = tmp.resolve("damaged.pth");
        SplittableRandom rnd = new SplittableRandom(name.hashCode());
        for (int trial = 0; trial < 600; trial++) {
            byte[] bad = good.clone();
            int flips = 1 + rnd.nextInt(3);
            for (int k = 0; k < flips; k++) {
                bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
            }
            Files.write(f, bad);
            tryRead(f, name + " trial " + trial);
        }
    }

    /** Opens and reads every tensor of a dict root; true if that worked, false for an IOException. */
    private static boolean tryRead(Path f, String what) {
        try (PthFile pth = PthFile.open(f)) {
            if (pth.root() instanceof Map<?, ?> m) {
                for (Object v : m.values()) {
                    if (v instanceof TensorRef ref) {
                        try (Tensor t = pth.tensor(ref)) {
                            t.numel();
                        }
                    }
                }
            }
            return true;
        } catch (IOException expected) {
            return false;
        } catch (RuntimeException | Error e) {
            fail(what + ": " + e, e);
            return false;
        }
    }
}

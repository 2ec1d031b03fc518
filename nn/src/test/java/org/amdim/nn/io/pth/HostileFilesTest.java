package org.amdim.nn.io.pth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.amdim.nn.io.NamedTensors;
import org.amdim.tensor.NoLeaks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every malicious or broken file under {@code pth/hostile/} is refused with the error it should give, and none of
 * their payloads ({@code touch /tmp/amdim-pth-pwned} through {@code os.system}, {@code eval}, {@code exec}, ...)
 * runs. The table below must name every file in the directory, so a new hostile file cannot go untested.
 */
@ExtendWith(NoLeaks.class)
class HostileFilesTest {
    private static final Path PWNED = Path.of("/tmp/amdim-pth-pwned");

    /** File → whether the refusal is a safety one (UnsafePickleException), and a fragment of its message. */
    private static final Map<String, Refusal> REFUSALS = new TreeMap<>(Map.ofEntries(
            unsafe("global_os_system_legacy.pth", "refused global 'os.system'"),
            unsafe("global_os_system_zip.pth", "refused global 'os.system'"),
            unsafe("global_posix_system.pth", "refused global 'posix.system'"),
            unsafe("global_builtins_eval.pth", "refused global 'builtins.eval'"),
            unsafe("global_builtins_exec.pth", "refused global 'builtins.exec'"),
            unsafe("global_py2_builtin_eval.pth", "refused global '__builtin__.eval'"),
            unsafe("global_torch_load.pth", "refused global 'torch.load'"),
            unsafe("global_in_magic_number.pth", "refused global 'os.system'"),
            unsafe("stack_global_os_system.pth", "refused global 'os.system'"),
            unsafe("inst_os_system.pth", "opcode INST"),
            unsafe("nested_reduce_in_tensor_args.pth", "refused global 'os.system'"),
            unsafe("nested_reduce_of_reduce.pth", "REDUCE (a call) of a dict"),
            unsafe("reduce_storage_class.pth", "REDUCE (a call) of a global torch.FloatStorage"),
            unsafe("build_on_tensor.pth", "BUILD (sets an object's state) on a tensor"),
            unsafe("persistent_id_not_storage.pth", "a persistent id that is not ('storage'"),
            broken("truncated_in_pickle.pth", "truncated"),
            broken("truncated_in_storage.pth", "truncated: storage '0' needs 16 bytes"),
            broken("truncated_zip.pth", "not a readable zip archive"),
            broken("empty.pth", "empty file"),
            broken("missing_stop.pth", "truncated"),
            broken("storage_count_larger_than_file.pth", "size field of 1099511627776 elements but the pickle says 4"),
            broken("storage_count_differs_from_pickle.pth", "size field of 3 elements but the pickle says 4"),
            broken("storage_numel_huge.pth", "(4503599627370496 bytes) but its record has 4 bytes"),
            broken("zip_record_shorter_than_storage.pth", "(16 bytes) but its record has 4 bytes"),
            broken("tensor_past_storage_end.pth", "reaches element 5 of storage '0', which holds 4"),
            broken("negative_stride.pth", "negative size or stride"),
            broken("string_length_past_end.pth", "a string of 4294967280 bytes"),
            broken("memo_get_missing.pth", "memo entry 7 is read before it is written"),
            broken("self_containing_dict_key.pth", "a dict key must be None, bool, int, float or str, got list")));

    /** Files that are valid (controls showing the hand-assembly is right) or harmless data. */
    private static final List<String> READABLE = List.of("valid_legacy.pth", "valid_zip.pth", "deep_nesting.pth");

    private record Refusal(boolean unsafe, String fragment) {
    }

    private static Map.Entry<String, Refusal> unsafe(String file, String fragment) {
        return Map.entry(file, new Refusal(true, fragment));
    }

    private static Map.Entry<String, Refusal> broken(String file, String fragment) {
        return Map.entry(file, new Refusal(false, fragment));
    }

    @BeforeAll
    @AfterAll
    static void noPayloadRan() {
        assertFalse(Files.exists(PWNED), PWNED + " exists: a payload ran (or a stale file is left; delete it)");
    }

    @Test
    void theTableCoversEveryHostileFile() throws IOException {
        try (Stream<Path> s = Files.list(PthFixtures.path("hostile"))) {
            TreeSet<String> files = new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
            TreeSet<String> known = new TreeSet<>(REFUSALS.keySet());
            known.addAll(READABLE);
            assertEquals(known, files);
        }
    }

    @Test
    void everyHostileFileIsRefusedWithItsError() {
        StringBuilder report = new StringBuilder();
        for (var e : REFUSALS.entrySet()) {
            Path file = PthFixtures.path("hostile/" + e.getKey());
            PthFormatException ex = assertThrows(PthFormatException.class, () -> PthFile.open(file).close(),
                    e.getKey());
            assertTrue(ex.getMessage().contains(e.getValue().fragment()),
                    e.getKey() + ": expected '" + e.getValue().fragment() + "' in: " + ex.getMessage());
            assertEquals(e.getValue().unsafe(), ex instanceof UnsafePickleException, e.getKey() + ": " + ex);
            report.append(e.getKey()).append(" -> ").append(ex.getMessage().substring(file.toString().length()))
                    .append('\n');
        }
        System.out.print(report);
        assertFalse(Files.exists(PWNED));
    }

    @Test
    void theHandAssembledControlsAreRead() throws IOException {
        for (String name : List.of("valid_legacy.pth", "valid_zip.pth")) {
            try (PthFile pth = PthFile.open(PthFixtures.path("hostile/" + name));
                 NamedTensors t = pth.tensors((Map<?, ?>) ((Map<?, ?>) pth.root()).get("model"))) {
                assertEquals(List.of(1f, 2f, 3f, 4f), boxed(t.get("w").toFloatArray()), name);
            }
        }
    }

    @Test
    void deepNestingIsReadWithoutRecursion() throws IOException {
        try (PthFile pth = PthFile.open(PthFixtures.path("hostile/deep_nesting.pth"))) {
            Object v = pth.root();
            int depth = 0;
            while (v instanceof List<?> l && !l.isEmpty()) {
                v = l.get(0);
                depth++;
            }
            assertEquals(19_999, depth);
            assertInstanceOf(List.class, v);
        }
    }

    private static List<Float> boxed(float[] a) {
        Float[] out = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return List.of(out);
    }
}

package org.amdim.model;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import org.amdim.model.encoder.EncoderConfig;
import org.amdim.nn.io.Json;
import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.TensorFiles;

/**
 * The sets of reference vectors computed by the original AMDIM code, one test-resource directory each
 * ({@code reference/}: /work/shared/reference, every optional batch norm dead; {@code reference-livebn/}:
 * /work/shared/reference-livebn, every batch norm live), copied unchanged. Tests run over every directory whose
 * name starts with {@code reference} and read each file's settings from its own metadata, so another set needs
 * a directory and no code.
 */
public final class ReferenceSets {
    private ReferenceSets() {
    }

    /** The names of the reference-set directories among this module's test resources, sorted. */
    public static List<String> names() {
        Path root = testResourcesRoot();
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("reference")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sets that hold {@code file}. */
    public static Stream<String> holding(String file) {
        return names().stream().filter(set -> Files.isRegularFile(testResourcesRoot().resolve(set).resolve(file)));
    }

    /** Loads {@code <set>/<file>}; the caller closes it. */
    public static NamedTensors load(String set, String file) {
        Path path = testResourcesRoot().resolve(set).resolve(file);
        try {
            return TensorFiles.load(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path testResourcesRoot() {
        var url = ReferenceSets.class.getResource("/reference");
        assertNotNull(url, "missing test resources reference/");
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A metadata entry that must be present. */
    public static String setting(NamedTensors ref, String key) {
        String v = ref.metadata().get(key);
        assertNotNull(v, "metadata entry " + key + " of " + ref.metadata().get("vector_set"));
        return v;
    }

    /** An integer setting of the file's metadata. */
    public static int intSetting(NamedTensors ref, String key) {
        return Integer.parseInt(setting(ref, key).trim());
    }

    /** A boolean setting, written by Python as {@code True}/{@code False} or {@code 1}/{@code 0}. */
    public static boolean boolSetting(NamedTensors ref, String key) {
        String v = setting(ref, key).trim().toLowerCase(Locale.ROOT);
        return v.equals("true") || v.equals("1");
    }

    /** The set-wide {@code generator_options} (JSON object), or an empty map for sets that predate it. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> generatorOptions(NamedTensors ref) {
        String json = ref.metadata().get("generator_options");
        return json == null ? Map.of() : (Map<String, Object>) Json.parse(json);
    }

    /**
     * The encoder configuration a file was made with, from its metadata ({@code encoder_size}, {@code ndf},
     * {@code n_rkhs}, {@code n_depth}, {@code use_bn}; every encoder and train-step file of every set has them),
     * checked against the set's {@code generator_options} where the set has them.
     */
    public static EncoderConfig encoderConfig(NamedTensors ref) {
        EncoderConfig c = new EncoderConfig(intSetting(ref, "encoder_size"), intSetting(ref, "ndf"),
                intSetting(ref, "n_rkhs"), intSetting(ref, "n_depth"), boolSetting(ref, "use_bn"));
        Map<String, Object> options = generatorOptions(ref);
        if (!options.isEmpty()) {
            checkOption(options, "ndf", c.ndf());
            checkOption(options, "n_depth", c.nDepth());
            checkOption(options, "use_bn", c.useBn() ? 1 : 0);
        }
        return c;
    }

    private static void checkOption(Map<String, Object> options, String key, int value) {
        Object o = options.get(key);
        if (o instanceof Number n && n.intValue() != value) {
            throw new AssertionError("file metadata says " + key + " = " + value + ", generator_options " + o);
        }
    }
}

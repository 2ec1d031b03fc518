package org.amdim.bindings;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;

import org.amdim.bindings.ffm.TorchShim;

/**
 * Finds and loads the native shim ({@code libtorchshim.so}) and, through its absolute run path, the libtorch it
 * was built against, without the user setting {@code LD_LIBRARY_PATH}.
 *
 * <p>The shim is packaged in this module's jar under {@code native/linux-x86_64/}. When the class path entry is a
 * directory it is loaded in place; from a jar it is extracted once into a per-user cache directory named after
 * its content hash. {@code -Damdim.shim.path=/abs/libtorchshim.so} (or the environment variable
 * {@code AMDIM_SHIM}) overrides the lookup.
 *
 * <p>The library is loaded with {@link System#load(String)}; its SONAME is {@code libtorchshim.so}, so the
 * generated {@link TorchShim}'s {@code SymbolLookup.libraryLookup("libtorchshim.so", ...)} resolves to the
 * already loaded copy, exactly as it would for jextract's output. Call {@link #load()} before using
 * {@link TorchShim}.
 */
public final class NativeLibrary {
    private static final String RESOURCE_DIR = "native/linux-x86_64/";
    private static final String LIBRARY_FILE = "libtorchshim.so";
    private static final String BUILD_INFO = "torchshim.properties";

    private static volatile Path loadedFrom;
    private static volatile List<String> restoredSignals = List.of();

    private NativeLibrary() {
    }

    /**
     * Loads the shim once per JVM (later calls return at once).
     *
     * @return the path the shim was loaded from
     * @throws NativeLibraryException naming what is missing and how to install it
     */
    public static Path load() {
        Path path = loadedFrom;
        if (path != null) {
            return path;
        }
        synchronized (NativeLibrary.class) {
            if (loadedFrom == null) {
                loadedFrom = doLoad();
            }
            return loadedFrom;
        }
    }

    /**
     * The environment defaults set for libtorch's native dependencies before it loaded, each as
     * {@code NAME=value (amdim's default)} or, where the user had set the variable, {@code NAME=value (set by the
     * user)}; empty before the shim is loaded. See {@code NativeEnvironment} for what they do.
     */
    public static List<String> nativeEnvironment() {
        return NativeEnvironment.describe();
    }

    /**
     * The JVM signal handlers that loading the shim had replaced and that were put back, e.g. {@code [SIGBUS,
     * SIGFPE, SIGILL, SIGSEGV]} with Debian 13's libtorch, whose UCX dependency installs its own; empty when
     * nothing was touched or the shim is not loaded yet. See {@code SignalHandlers} for why.
     *
     * @return the signal names, in signal-number order
     */
    public static List<String> restoredSignals() {
        return restoredSignals;
    }

    /**
     * The properties the native build recorded (libtorch directory, CUDA), or empty properties. With
     * {@code amdim.shim.path} / {@code AMDIM_SHIM} set they are read from the {@code torchshim.properties} that
     * {@code build.sh} writes beside that library (empty when there is none), not from the class path: a shim
     * built elsewhere against another libtorch must not be checked against the packaged one's record.
     */
    public static Properties buildInfo() {
        Properties props = new Properties();
        String override = shimOverride();
        try {
            if (override != null) {
                Path file = Path.of(override).toAbsolutePath().resolveSibling(BUILD_INFO);
                if (Files.isRegularFile(file)) {
                    try (InputStream in = Files.newInputStream(file)) {
                        props.load(in);
                    }
                }
                return props;
            }
            try (InputStream in = NativeLibrary.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + BUILD_INFO)) {
                if (in != null) {
                    props.load(in);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return props;
    }

    /**
     * This JVM's project settings ({@code -Damdim.*}: the shim's path, the CPU cache's limit) as options for a
     * child JVM, so that it loads the same libtorch and behaves alike. The environment ({@code AMDIM_SHIM},
     * {@code OMP_*}) a child inherits anyway.
     *
     * @return {@code -Dname=value} options, sorted by name
     */
    public static List<String> childJvmProperties() {
        return System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("amdim.")).sorted()
                .map(k -> "-D" + k + "=" + System.getProperty(k)).toList();
    }

    private static String shimOverride() {
        String override = System.getProperty("amdim.shim.path", System.getenv("AMDIM_SHIM"));
        return override == null || override.isBlank() ? null : override;
    }

    private static Path doLoad() {
        Path shim = locateShim();
        checkLibtorchPresent();
        NativeEnvironment.applyDefaults(); // read by libtorch's dependencies as they load
        SignalHandlers jvmHandlers = SignalHandlers.capture(SignalHandlers.JVM_SIGNALS.keySet());
        try {
            System.load(shim.toString());
        } catch (UnsatisfiedLinkError e) {
            throw new NativeLibraryException("Could not load the libtorch shim " + shim + ": " + e.getMessage()
                    + ". " + installHint(), e);
        } finally {
            restoredSignals = List.copyOf(jvmHandlers.restoreChanged());
        }
        checkSingleLibtorch();
        return shim;
    }

    private static Path locateShim() {
        String override = shimOverride();
        if (override != null) {
            Path p = Path.of(override).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                throw new NativeLibraryException("amdim.shim.path/AMDIM_SHIM points to " + p + ", which is not a file");
            }
            return p;
        }
        URL url = NativeLibrary.class.getClassLoader().getResource(RESOURCE_DIR + LIBRARY_FILE);
        if (url == null) {
            throw new NativeLibraryException("The native shim " + RESOURCE_DIR + LIBRARY_FILE
                    + " is not on the class path: the amdim-bindings jar was built without it. Rebuild with"
                    + " 'mvn -pl bindings install' on a machine with libtorch (" + installHint() + ").");
        }
        try {
            if ("file".equals(url.getProtocol())) {
                return Path.of(url.toURI());
            }
            return extract(url);
        } catch (URISyntaxException | IOException e) {
            throw new NativeLibraryException("Could not access the native shim at " + url + ": " + e, e);
        }
    }

    /** Copies the shim out of a jar into a cache directory keyed by its hash, atomically. */
    private static Path extract(URL url) throws IOException {
        byte[] bytes;
        try (InputStream in = url.openStream()) {
            bytes = in.readAllBytes();
        }
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path dir = Path.of(System.getProperty("java.io.tmpdir"),
                "amdim-native-" + System.getProperty("user.name", "user"), hash);
        Path target = dir.resolve(LIBRARY_FILE);
        if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
            return target;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, LIBRARY_FILE, ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    private static void checkLibtorchPresent() {
        String dir = buildInfo().getProperty("libtorch.dir");
        if (dir == null) {
            return;
        }
        Path lib = Path.of(dir);
        try (var files = Files.list(lib)) {
            if (files.noneMatch(f -> f.getFileName().toString().startsWith("libtorch_cpu.so"))) {
                throw new NativeLibraryException("libtorch is missing: the shim was built against " + lib
                        + " but no libtorch_cpu.so is there. " + installHint());
            }
        } catch (IOException e) {
            throw new NativeLibraryException("libtorch is missing: the shim was built against " + lib
                    + ", which cannot be read (" + e.getMessage() + "). " + installHint(), e);
        }
    }

    /** Two different libtorch builds in one process corrupt each other's global state: refuse that. */
    private static void checkSingleLibtorch() {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return;
        }
        try {
            List<String> lines = Files.readAllLines(maps);
            TreeSet<String> libs = new TreeSet<>();
            for (String line : lines) {
                int slash = line.indexOf('/');
                if (slash >= 0 && line.contains("libtorch_cpu.so")) {
                    libs.add(Path.of(line.substring(slash).trim()).toRealPath().toString());
                }
            }
            if (libs.size() > 1) {
                throw new NativeLibraryException("Two different libtorch builds are loaded in this JVM: " + libs
                        + ". Load only one (check LD_PRELOAD and other libraries that bundle libtorch).");
            }
        } catch (IOException e) {
            // /proc unreadable: the check is best-effort.
        }
    }

    private static String installHint() {
        return "Install libtorch with 'sudo apt-get install -y libtorch-dev libopenblas0-pthread', or build with"
                + " LIBTORCH=/path/to/libtorch (a directory with include/ and lib/)";
    }

    /**
     * Reads a NUL-terminated C string returned by the shim.
     *
     * @param cString a pointer returned by a shim function (may be NULL, giving "")
     * @return the string, decoded as UTF-8
     */
    public static String string(MemorySegment cString) {
        if (cString == null || cString.address() == 0) {
            return "";
        }
        return cString.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /**
     * The last error message of the shim on this thread, with libtorch's noise trimmed.
     *
     * @return the message, or a generic text when the shim recorded none
     */
    public static String lastError() {
        String msg = string(TorchShim.ts_last_error());
        return msg.isEmpty() ? "libtorch call failed without a message" : msg;
    }
}

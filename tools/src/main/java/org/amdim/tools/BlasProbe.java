package org.amdim.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * Finds out which BLAS libtorch uses by looking at the shared libraries mapped into this process
 * ({@code /proc/self/maps}) after a matrix product. Debian's libtorch links {@code libblas.so.3}, which the
 * alternatives system may point at OpenBLAS, BLIS, ATLAS or the reference BLAS; the mapped path shows which.
 */
public final class BlasProbe {
    private static final Path MAPS = Path.of("/proc/self/maps");

    /**
     * What was found.
     *
     * @param kind      a readable name, e.g. {@code OpenBLAS}, or {@code none found} when no BLAS library is mapped
     * @param libraries the mapped BLAS-like libraries (absolute paths, in first-mapped order)
     */
    public record Result(String kind, List<String> libraries) {
        /** One line for humans: the kind, then the libraries in parentheses. */
        public String describe() {
            return libraries.isEmpty() ? kind : kind + " (" + String.join(", ", libraries) + ")";
        }
    }

    private BlasProbe() {
    }

    /**
     * Runs a small matmul so that libtorch's BLAS is certainly in use, then inspects this process's mappings.
     *
     * @throws IOException when {@code /proc/self/maps} cannot be read (e.g. not Linux)
     */
    public static Result probe() throws IOException {
        try (var _ = TensorScope.open()) {
            Tensor a = Tensor.rand(64, 64);
            a.matmul(a).sum().item();
        }
        return fromMaps(Files.readAllLines(MAPS));
    }

    /** Classifies the BLAS-like libraries named in lines in the format of {@code /proc/<pid>/maps}. */
    public static Result fromMaps(List<String> mapsLines) {
        Set<String> libs = new LinkedHashSet<>();
        for (String line : mapsLines) {
            int slash = line.indexOf('/');
            if (slash < 0) {
                continue;
            }
            String path = line.substring(slash).strip();
            if (isBlasLike(fileName(path))) {
                libs.add(path);
            }
        }
        return new Result(kind(libs), List.copyOf(libs));
    }

    private static String fileName(String path) {
        return path.substring(path.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
    }

    private static boolean isBlasLike(String file) {
        return file.startsWith("libopenblas") || file.startsWith("libblas") || file.startsWith("libcblas")
                || file.startsWith("libmkl") || file.startsWith("libblis") || file.startsWith("libatlas")
                || file.startsWith("libsatlas") || file.startsWith("libtatlas");
    }

    // Ordered by specificity: the alternatives directory (e.g. .../openblas-pthread/libblas.so.3) tells the
    // implementation behind a generic libblas.so.3.
    private static String kind(Set<String> libs) {
        String all = String.join("\n", libs).toLowerCase(Locale.ROOT);
        if (all.contains("openblas")) {
            return "OpenBLAS";
        }
        if (all.contains("mkl")) {
            return "Intel MKL";
        }
        if (all.contains("blis")) {
            return "BLIS";
        }
        if (all.contains("atlas")) {
            return "ATLAS";
        }
        if (!libs.isEmpty()) {
            return "reference BLAS (netlib)";
        }
        return "none found (linked statically or libtorch's own kernels)";
    }
}

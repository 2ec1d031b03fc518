package org.amdim.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.TensorFiles;
import org.amdim.tensor.Tensor;

/**
 * Checkpoints of a run in one directory: {@code checkpoint-<step>.safetensors}, each holding the model state
 * ({@code model.*}), the optimizer state ({@code optim.*}), the loss scaler's state when float16 training uses
 * one ({@code scaler.*}) and string metadata (training position, config).
 *
 * <p>The metadata holds a checksum of the tensor data ({@link org.amdim.nn.io.DataChecksum}), verified on load:
 * flipped bytes on disk are refused with an error naming the file rather than trained on.
 *
 * <p>Every file is written to a temporary file, synced and renamed, so a crash leaves either the old set or the
 * new file complete; the newest {@code keep} checkpoints are kept so that a damaged newest file still leaves
 * an older one to resume from.
 */
public final class CheckpointStore {
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)\\.safetensors");
    /** What a checkpoint write interrupted by a crash leaves behind (the writer's temporary file). */
    private static final Pattern LEFTOVER = Pattern.compile("\\.checkpoint-\\d+\\.safetensors\\.[0-9a-z]+\\.tmp");
    /** The sub-directory checkpoints of an abandoned continuation are moved to. */
    public static final String ABANDONED_DIR = "abandoned";
    /** Metadata key identifying our checkpoint format. */
    public static final String FORMAT_KEY = "format";
    /** The format written by this version. */
    public static final String FORMAT = "amdim-java-checkpoint/1";

    private final Path dir;
    private final int keep;

    /** A store in {@code dir} keeping the newest {@code keep} checkpoints. */
    public CheckpointStore(Path dir, int keep) {
        this.dir = dir;
        this.keep = Math.max(1, keep);
    }

    /** Writes a checkpoint for {@code step} without loss-scaler state; returns its path. */
    public Path save(long step, Map<String, Tensor> model, Map<String, Tensor> optimizer, Map<String, String> metadata)
            throws IOException {
        return save(step, model, optimizer, Map.of(), metadata);
    }

    /** Writes a checkpoint for {@code step}, with the loss scaler's state (may be empty); returns its path. */
    public Path save(long step, Map<String, Tensor> model, Map<String, Tensor> optimizer, Map<String, Tensor> scaler,
            Map<String, String> metadata) throws IOException {
        Files.createDirectories(dir);
        Map<String, Tensor> all = new LinkedHashMap<>();
        model.forEach((k, v) -> all.put("model." + k, v));
        optimizer.forEach((k, v) -> all.put("optim." + k, v));
        scaler.forEach((k, v) -> all.put("scaler." + k, v));
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put(FORMAT_KEY, FORMAT);
        meta.put("step", Long.toString(step));
        Path file = dir.resolve(String.format("checkpoint-%09d.safetensors", step));
        TensorFiles.saveWithChecksum(file, all, meta);
        prune();
        return file;
    }

    /**
     * Deletes the temporary files of checkpoint writes that a crash interrupted. Call it only while holding the
     * directory's {@link RunLock}: another run's write in progress looks the same.
     *
     * @return the files deleted
     */
    public List<Path> removeLeftoverTemporaries() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> removed = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> LEFTOVER.matcher(p.getFileName().toString()).matches()).toList()) {
                Files.deleteIfExists(p);
                removed.add(p);
            }
        }
        return removed;
    }

    /**
     * Makes {@code step} the head of this directory's lineage: checkpoints of later steps belong to a continuation
     * the run abandoned by resuming from an earlier checkpoint, so they are moved to {@value #ABANDONED_DIR}/
     * (kept, not deleted), where neither pruning nor "the newest checkpoint" sees them.
     *
     * @return the files' new paths
     */
    public List<Path> abandonAfter(long step) throws IOException {
        List<Path> moved = new ArrayList<>();
        for (Path p : list(dir)) {
            if (stepOf(p) > step) {
                Path target = dir.resolve(ABANDONED_DIR).resolve(p.getFileName());
                Files.createDirectories(target.getParent());
                moved.add(Files.move(p, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING));
            }
        }
        return moved;
    }

    private void prune() throws IOException {
        List<Path> files = list(dir);
        for (int i = 0; i < files.size() - keep; i++) {
            Files.deleteIfExists(files.get(i));
        }
    }

    /** Checkpoint files in {@code dir}, oldest first. */
    public static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> out = new ArrayList<>(s.filter(p -> NAME.matcher(p.getFileName().toString()).matches()).toList());
            out.sort(Comparator.comparingLong(CheckpointStore::stepOf));
            return out;
        }
    }

    private static long stepOf(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * Loads a checkpoint file, or the newest checkpoint of a run directory.
     *
     * @throws IOException naming the file when it is missing, damaged or not one of our checkpoints; for a damaged
     *                     newest file the message names the previous checkpoint to resume from instead
     */
    public static Checkpoint load(Path fileOrDir) throws IOException {
        Path file = fileOrDir;
        if (Files.isDirectory(fileOrDir)) {
            List<Path> files = list(fileOrDir);
            if (files.isEmpty()) {
                throw new IOException("no checkpoint-*.safetensors in " + fileOrDir);
            }
            file = files.get(files.size() - 1);
            try {
                return loadFile(file);
            } catch (IOException e) {
                if (files.size() > 1) {
                    throw new IOException(e.getMessage() + "; the previous checkpoint "
                            + files.get(files.size() - 2) + " may be used instead (pass it to --resume)", e);
                }
                throw e;
            }
        }
        return loadFile(file);
    }

    private static Checkpoint loadFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("checkpoint " + file + " does not exist");
        }
        NamedTensors tensors = TensorFiles.load(file);
        if (!FORMAT.equals(tensors.metadata().get(FORMAT_KEY))) {
            tensors.close();
            throw new IOException(file + " is not an amdim-java checkpoint (metadata '" + FORMAT_KEY + "' is "
                    + tensors.metadata().get(FORMAT_KEY) + ")");
        }
        return new Checkpoint(file, tensors);
    }

    /**
     * A loaded checkpoint; owns its tensors.
     *
     * @param path    where it was read from
     * @param tensors all tensors and the metadata
     */
    public record Checkpoint(Path path, NamedTensors tensors) implements AutoCloseable {
        /** The model state dict. */
        public Map<String, Tensor> model() {
            return tensors.withPrefix("model.");
        }

        /** The optimizer state dict. */
        public Map<String, Tensor> optimizer() {
            return tensors.withPrefix("optim.");
        }

        /** The loss scaler's state (empty when the run used none). */
        public Map<String, Tensor> scaler() {
            return tensors.withPrefix("scaler.");
        }

        /** The string metadata. */
        public Map<String, String> metadata() {
            return tensors.metadata();
        }

        /** The step this checkpoint was taken at. */
        public long step() {
            return Long.parseLong(metadata().getOrDefault("step", "0"));
        }

        @Override
        public void close() {
            tensors.close();
        }
    }
}

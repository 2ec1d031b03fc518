package org.amdim.tools;

import java.nio.file.Path;

import org.amdim.data.DatasetSpec;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** The options that choose a dataset, shared by the commands that read images. */
public final class DatasetOptions {
    @Option(names = "--dataset", defaultValue = "synthetic", converter = KindConverter.class,
            description = "Dataset kind: synthetic, cifar10, cifar100, stl10, mnist, fashion-mnist, folder.")
    DatasetSpec.Kind kind;

    @Option(names = "--data", description = "Dataset directory (not needed for synthetic). For folder: DIR/train and"
            + " DIR/val with one sub-directory per class.")
    Path dir;

    @Option(names = "--synthetic-size", defaultValue = "10000",
            description = "Training images of the synthetic dataset (the test split has a fifth).")
    int syntheticSize;

    /**
     * The largest {@code --synthetic-size}: the images are drawn on the fly, but the loader keeps each epoch's order
     * as an index per image, and a billion of them would exhaust the heap before the first step.
     */
    static final int MAX_SYNTHETIC_SIZE = 100_000_000;

    /** Checks the values' ranges (a usage error names the option). */
    void checkRanges(OptionRanges ranges) {
        ranges.between("--synthetic-size", syntheticSize, 1, MAX_SYNTHETIC_SIZE, "");
    }

    /** The dataset these options name. */
    public DatasetSpec spec() {
        if (kind == DatasetSpec.Kind.SYNTHETIC) {
            if (syntheticSize < 1) {
                throw new IllegalArgumentException("--synthetic-size must be >= 1");
            }
            return DatasetSpec.synthetic(syntheticSize);
        }
        if (dir == null) {
            throw new IllegalArgumentException("--data DIR is required for --dataset " + kind.name().toLowerCase());
        }
        return DatasetSpec.of(kind, dir);
    }

    /** Parses dataset kinds with the friendly names. */
    static final class KindConverter implements ITypeConverter<DatasetSpec.Kind> {
        @Override
        public DatasetSpec.Kind convert(String value) {
            return DatasetSpec.Kind.parse(value);
        }
    }
}

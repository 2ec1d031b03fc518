package org.amdim.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.amdim.data.augment.AugmentationPreset;
import org.amdim.data.io.CifarDataset;
import org.amdim.data.io.IdxDataset;
import org.amdim.data.io.ImageFolderDataset;
import org.amdim.data.io.Stl10Dataset;
import org.amdim.data.synthetic.SyntheticShapesDataset;

/**
 * Which dataset to train or evaluate on: a kind, and for the kinds read from disk, a directory.
 *
 * @param kind          the format
 * @param path          the dataset directory (ignored for {@link Kind#SYNTHETIC})
 * @param syntheticSize images per split of the synthetic dataset (train; test gets a fifth)
 */
public record DatasetSpec(Kind kind, Path path, int syntheticSize) {
    /** Dataset formats. */
    public enum Kind {
        /** Procedurally drawn shapes, 32×32, 10 classes, no files (the default). */
        SYNTHETIC,
        /** CIFAR-10 binary batches. */
        CIFAR10,
        /** CIFAR-100 binary (fine labels). */
        CIFAR100,
        /** STL-10 binary; training uses train+unlabeled as the original. */
        STL10,
        /** MNIST IDX files, padded to 32×32 RGB. */
        MNIST,
        /** Fashion-MNIST IDX files, padded to 32×32 RGB. */
        FASHION_MNIST,
        /** One sub-directory per class of JPEG/PNG images (ImageNet style, 128×128 views). */
        FOLDER;

        /** Parses {@code cifar10}, {@code fashion-mnist}, ... (case and dashes ignored). */
        public static Kind parse(String s) {
            String norm = s.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            try {
                return valueOf(norm);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown dataset '" + s + "': expected one of synthetic, cifar10,"
                        + " cifar100, stl10, mnist, fashion-mnist, folder");
            }
        }
    }

    /** The built-in synthetic dataset. */
    public static DatasetSpec synthetic(int size) {
        return new DatasetSpec(Kind.SYNTHETIC, null, size);
    }

    /** A dataset read from {@code path}. */
    public static DatasetSpec of(Kind kind, Path path) {
        return new DatasetSpec(kind, path, 0);
    }

    /** The augmentation preset the original uses for this kind of data. */
    public AugmentationPreset preset() {
        return switch (kind) {
            case STL10 -> AugmentationPreset.STL64;
            case FOLDER -> AugmentationPreset.IMAGENET128;
            default -> AugmentationPreset.CIFAR32;
        };
    }

    /** The encoder input size for this kind of data (32, 64 or 128). */
    public int inputSize() {
        return preset().outputSize();
    }

    /**
     * Opens the training or test split.
     *
     * @throws IOException naming the missing or corrupt file
     */
    public ImageDataset open(boolean train) throws IOException {
        if (kind != Kind.SYNTHETIC) {
            if (path == null) {
                throw new IllegalArgumentException("dataset " + kind.name().toLowerCase(Locale.ROOT)
                        + " needs a directory (--data DIR)");
            }
            if (!Files.isDirectory(path)) {
                throw new IOException("dataset directory " + path + " does not exist");
            }
        }
        return switch (kind) {
            case SYNTHETIC -> new SyntheticShapesDataset(SyntheticShapesDataset.Options.DEFAULT
                    .withSize(train ? syntheticSize : Math.max(1, syntheticSize / 5)).withSeed(train ? 1L : 2L));
            case CIFAR10 -> CifarDataset.cifar10(path, train ? CifarDataset.Split.TRAIN : CifarDataset.Split.TEST);
            case CIFAR100 -> CifarDataset.cifar100(path, train ? CifarDataset.Split.TRAIN : CifarDataset.Split.TEST,
                    CifarDataset.Labels.FINE);
            case STL10 -> Stl10Dataset.open(path, train ? Stl10Dataset.Split.TRAIN_UNLABELED : Stl10Dataset.Split.TEST);
            case MNIST -> IdxDataset.openStandard(path, train, IdxDataset.Options.CIFAR_LIKE, "mnist");
            case FASHION_MNIST -> IdxDataset.openStandard(path, train, IdxDataset.Options.CIFAR_LIKE, "fashion-mnist");
            case FOLDER -> {
                if (!train) {
                    requireSameClasses(path.resolve("train"), path.resolve("val"));
                }
                yield ImageFolderDataset.open(path.resolve(train ? "train" : "val"), ImageFolderDataset.Options.DEFAULT);
            }
        };
    }

    /**
     * Labels are class indices in sorted name order, per split: a class in one split and not the other would shift
     * the labels after it, and every test image of the missing class would be scored against another class.
     */
    private static void requireSameClasses(Path train, Path val) throws IOException {
        List<String> trainClasses = ImageFolderDataset.classNames(train);
        List<String> valClasses = ImageFolderDataset.classNames(val);
        if (!trainClasses.equals(valClasses)) {
            List<String> onlyVal = new ArrayList<>(valClasses);
            onlyVal.removeAll(trainClasses);
            List<String> onlyTrain = new ArrayList<>(trainClasses);
            onlyTrain.removeAll(valClasses);
            throw new DatasetFormatException(val, DatasetFormatException.NO_OFFSET, "its class folders differ from "
                    + train + "'s (only in val: " + onlyVal + "; only in train: " + onlyTrain + "); labels are"
                    + " numbered by class name in each split, so both need the same class folders");
        }
    }

    @Override
    public String toString() {
        return kind == Kind.SYNTHETIC ? "synthetic(" + syntheticSize + ")"
                : kind.name().toLowerCase(Locale.ROOT) + ":" + path;
    }
}

package org.amdim.train;

import java.util.Arrays;

import org.amdim.data.DatasetSpec;

/**
 * How long a run trains and after which epochs its learning rate decays: the one place that holds the original
 * training script's choices per dataset ({@code train.py}: CIFAR-10/100 and STL-10 train 300 epochs with
 * milestones 250 and 280; ImageNet 50 epochs with milestones 30 and 45).
 *
 * @param epochs     epochs to train
 * @param milestones epochs after whose end the learning rate is multiplied by the decay factor
 */
public record EpochSchedule(int epochs, int[] milestones) {
    /** Epochs of the original's CIFAR and STL runs (also this project's default for the other small datasets). */
    public static final int SMALL_IMAGES_EPOCHS = 300;
    /** Epochs of the original's ImageNet runs. */
    public static final int IMAGENET_EPOCHS = 50;
    /** The CIFAR/STL milestones, as the command line spells them. */
    public static final String SMALL_IMAGES_MILESTONES = "250,280";
    /** The ImageNet milestones, as the command line spells them. */
    public static final String IMAGENET_MILESTONES = "30,45";

    /** The original's schedule for CIFAR-10/100 and STL-10 (used for every small-image dataset here). */
    public static final EpochSchedule SMALL_IMAGES = new EpochSchedule(SMALL_IMAGES_EPOCHS,
            parseMilestones(SMALL_IMAGES_MILESTONES));
    /** The original's schedule for ImageNet (its IN128 runs), used for {@code --dataset folder}. */
    public static final EpochSchedule IMAGENET = new EpochSchedule(IMAGENET_EPOCHS,
            parseMilestones(IMAGENET_MILESTONES));

    /** Copies the milestones. */
    public EpochSchedule {
        milestones = milestones.clone();
    }

    /** A copy of the milestones. */
    @Override
    public int[] milestones() {
        return milestones.clone();
    }

    /** The original's schedule for a kind of data: ImageNet's for image folders, CIFAR's for the rest. */
    public static EpochSchedule originalFor(DatasetSpec.Kind kind) {
        return kind == DatasetSpec.Kind.FOLDER ? IMAGENET : SMALL_IMAGES;
    }

    private static int[] parseMilestones(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    @Override
    public String toString() {
        return epochs + " epochs, milestones " + Arrays.toString(milestones);
    }
}

package org.amdim.data.augment;

/**
 * A crop rectangle in torchvision's {@code (i, j, h, w)} convention.
 *
 * @param top first row ({@code i})
 * @param left first column ({@code j})
 * @param height rows ({@code h})
 * @param width columns ({@code w})
 */
public record CropBox(int top, int left, int height, int width) {}

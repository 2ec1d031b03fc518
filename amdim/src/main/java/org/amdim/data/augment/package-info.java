/**
 * AMDIM's data augmentation, reproducing what the original code does with PIL images and
 * torchvision transforms, on uint8 HWC {@link org.amdim.data.ImageBuffer}s.
 *
 * <p>{@link org.amdim.data.augment.AmdimTransform} is the entry point: a shared random horizontal
 * flip, then two independently augmented views (geometry, colour jitter, random grayscale,
 * normalisation) as configured by an {@link org.amdim.data.augment.AugmentationPreset} (CIFAR 32×32,
 * STL-10 64×64, ImageNet 128×128). The building blocks follow PIL's integer arithmetic:
 * {@link org.amdim.data.augment.PilColor} (L conversion, ImageEnhance blends, HSV),
 * {@link org.amdim.data.augment.PilResample} (PIL's separable bicubic with 8-bit intermediates)
 * and torchvision's parameter sampling ({@link org.amdim.data.augment.RandomResizedCrop},
 * {@link org.amdim.data.augment.ColorJitter}).
 *
 * <p>Operations work in place or into caller-provided buffers and allocate nothing per pixel; each
 * loader thread owns one {@link org.amdim.data.SampleTransform.Worker} with its scratch buffers.
 */
package org.amdim.data.augment;

/**
 * AMDIM's data augmentation, reproducing what the original code does with PIL images and
 * torchvision transforms, on uint8 HWC {@link org.amdim.data.ImageBuffer}s.
 *
 * <p>{@link org.amdim.data.augment.AmdimTransform} is the entry point: a shared random horizontal
 * flip, then two independently augmented views (geometry, colour jitter, random grayscale,
 * normalisation) as configured by an {@link org.amdim.data.augment.AugmentationPreset} (CIFAR 32×32,
 * STL-10 64×64, ImageNet 128×128). The building blocks follow PIL's integer arithmetic:
 * {@link org.amdim.data.augment.ColorAdjustments} (L conversion, ImageEnhance blends, HSV),
 * {@link org.amdim.data.augment.BicubicResampler} (PIL's separable bicubic with 8-bit intermediates)
 * and torchvision's parameter sampling ({@link org.amdim.data.augment.RandomResizedCrop},
 * {@link org.amdim.data.augment.ColorJitter}).
 *
 * <p>Operations work in place or into caller-provided buffers and allocate nothing per pixel; each
 * loader thread owns one {@link org.amdim.data.SampleTransform.Worker} with its scratch buffers.
 *
 * <h2>Fidelity</h2>
 *
 * <p>Bit-exact with Pillow 9.4 (checked against its output in the tests): the L conversion, the
 * RGB↔HSV conversions (also checked exhaustively over all 2<sup>24</sup> inputs during
 * development), ImageEnhance brightness/contrast/colour, torchvision's {@code adjust_hue}, the
 * grayscale conversion, and bicubic resizing including crop-then-resize. Known differences:
 *
 * <ul>
 *   <li>Random numbers come from {@link java.util.SplittableRandom} streams, not torch's or
 *       numpy's generators, so a seed does not reproduce a PyTorch run's draws; the distributions
 *       are the same. torchvision draws RandomResizedCrop's scale and log-ratio in float32, this
 *       code in double.
 *   <li>{@code np.uint8(hue_factor · 255)} of a negative value is platform-defined in numpy; the
 *       truncate-then-wrap used here is what numpy does on x86-64.
 *   <li>The L conversion is Pillow's current rounded fixed-point formula; Pillow releases before
 *       the rounding was introduced truncated {@code (299R + 587G + 114B) / 1000}, which differs
 *       by one level for some colours.
 *   <li>ToTensor's division by 255 and Normalize are computed as float32 {@code (v / 255 − m) / s};
 *       a torch build that divides by multiplying with a reciprocal may differ in the last bit.
 *   <li>Grayscale inputs are replicated to RGB before augmentation (torchvision would jitter an
 *       "L" image without saturation and hue and keep one channel).
 *   <li>The ImageNet preset uses hue jitter 0.2 and grayscale probability 0.2, as the original
 *       code has them.
 * </ul>
 */
package org.amdim.data.augment;

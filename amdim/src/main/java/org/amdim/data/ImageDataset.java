package org.amdim.data;

/**
 * Random-access labelled image collection: the loader permutes indices, so any index may be asked
 * for at any time, from several threads at once. Implementations must be thread-safe for reads.
 *
 * <p>Images are uint8, HWC (interleaved RGB or a single grayscale channel), as PIL holds them.
 * Most datasets have one fixed size; a dataset whose images differ in size (an image folder)
 * reports {@link #VARIABLE_SIZE} from {@link #height()} and {@link #width()} and gives each image's
 * size through {@link #imageHeight(int)} and {@link #imageWidth(int)}. The
 * {@link #readImage(int, ImageBuffer)} form works for both and is what the loader uses.
 */
public interface ImageDataset {

    /** The value {@link #height()} and {@link #width()} return when images differ in size. */
    int VARIABLE_SIZE = 0;

    /** The label of an unlabelled image (e.g. STL-10's unlabeled split). */
    int UNLABELED = -1;

    /** {@return the number of images} */
    int size();

    /** {@return the height shared by all images, or {@link #VARIABLE_SIZE}} */
    int height();

    /** {@return the width shared by all images, or {@link #VARIABLE_SIZE}} */
    int width();

    /** {@return the channel count: 1 (grayscale) or 3 (RGB)} */
    int channels();

    /** {@return the number of classes; labels lie in {@code 0..numClasses()-1} or are {@link #UNLABELED}} */
    int numClasses();

    /**
     * Returns the label of one image.
     *
     * @param index in {@code 0..size()-1}
     * @return the class, or {@link #UNLABELED} (−1)
     * @throws IndexOutOfBoundsException for a bad index
     */
    int label(int index);

    /**
     * Copies one image, uint8 HWC, into {@code dst} from offset 0.
     *
     * @param index in {@code 0..size()-1}
     * @param dst at least {@code imageHeight(index) * imageWidth(index) * channels()} bytes
     * @throws IndexOutOfBoundsException for a bad index
     * @throws IllegalArgumentException when {@code dst} is too small
     * @throws java.io.UncheckedIOException when the underlying file cannot be read or decoded; the
     *     message names the file
     */
    void readImage(int index, byte[] dst);

    /** {@return a short human-readable name (format, split, location) used in error messages} */
    String name();

    /**
     * Returns one image's height; the default is {@link #height()}.
     *
     * @param index in {@code 0..size()-1}
     * @return rows of that image
     */
    default int imageHeight(int index) {
        return height();
    }

    /**
     * Returns one image's width; the default is {@link #width()}.
     *
     * @param index in {@code 0..size()-1}
     * @return columns of that image
     */
    default int imageWidth(int index) {
        return width();
    }

    /** {@return whether all images share {@link #height()} × {@link #width()}} */
    default boolean fixedSize() {
        return height() != VARIABLE_SIZE && width() != VARIABLE_SIZE;
    }

    /**
     * Reads one image into a reusable buffer, reshaping it to the image's own size. Variable-size
     * datasets override this to decode only once.
     *
     * @param index in {@code 0..size()-1}
     * @param dst the buffer to fill
     */
    default void readImage(int index, ImageBuffer dst) {
        dst.reshape(imageHeight(index), imageWidth(index), channels());
        readImage(index, dst.data());
    }

    /**
     * Checks an index against {@link #size()}, for implementations.
     *
     * @param index the index to check
     * @param size the dataset size
     * @param name the dataset name for the message
     * @return the index
     */
    static int checkIndex(int index, int size, String name) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + " out of range 0.." + (size - 1) + " in " + name);
        }
        return index;
    }

    /**
     * Checks that a destination array can hold an image, for implementations.
     *
     * @param dst the array
     * @param needed bytes needed
     * @param name the dataset name for the message
     */
    static void checkDestination(byte[] dst, long needed, String name) {
        if (dst.length < needed) {
            throw new IllegalArgumentException(
                    "destination holds " + dst.length + " bytes but an image of " + name + " needs " + needed);
        }
    }
}

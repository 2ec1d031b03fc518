package org.amdim.data;

import java.util.SplittableRandom;

/**
 * Derivation of independent random streams from the run seed. Each stream is a
 * {@link SplittableRandom} seeded by hashing the seed with a domain tag and the coordinates of what
 * it randomises, so a sample's augmentation depends only on (seed, epoch, dataset index) and never
 * on which thread produced it or in what order.
 */
public final class Seeds {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final long PERMUTATION_DOMAIN = 0x5045524D5554L; // "PERMUT"
    private static final long SAMPLE_DOMAIN = 0x53414D504CL; // "SAMPL"

    private Seeds() {}

    /**
     * The SplitMix64 finaliser: a bijective 64-bit mix in which every input bit affects every
     * output bit, so nearby inputs (consecutive indices) give unrelated outputs.
     *
     * @param z the value to mix
     * @return the mixed value
     */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Hashes a seed with a list of coordinates; the order of the coordinates matters.
     *
     * @param seed the root seed
     * @param parts the coordinates
     * @return the derived 64-bit seed
     */
    public static long derive(long seed, long... parts) {
        long h = mix64(seed + GOLDEN);
        for (long part : parts) {
            h = mix64(h + GOLDEN + mix64(part));
        }
        return h;
    }

    /**
     * Returns the random source of one epoch's index permutation (shared by all ranks, which is
     * what makes their shards disjoint).
     *
     * @param seed the run seed
     * @param epoch the epoch
     * @return a fresh generator
     */
    public static SplittableRandom permutation(long seed, int epoch) {
        return new SplittableRandom(derive(seed, PERMUTATION_DOMAIN, epoch));
    }

    /**
     * Returns the random source of one sample's augmentation.
     *
     * @param seed the run seed
     * @param epoch the epoch
     * @param index the dataset index
     * @return a fresh generator
     */
    public static SplittableRandom sample(long seed, int epoch, int index) {
        return new SplittableRandom(derive(seed, SAMPLE_DOMAIN, epoch, index));
    }
}

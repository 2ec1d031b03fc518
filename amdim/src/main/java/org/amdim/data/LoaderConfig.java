package org.amdim.data;

/**
 * Settings of a {@link DataLoader}. Build one with {@link #of(int)} and the {@code with…} methods;
 * each default is documented on its component.
 *
 * @param batchSize samples per batch; no default, at least 1
 * @param shuffle permute the indices each epoch (default true; false keeps dataset order)
 * @param dropLast drop the last, smaller batch of an epoch (default false; AMDIM's original
 *     trains with true)
 * @param workers background threads (default 2)
 * @param prefetch batches that may be prepared ahead of the consumer (default 2 × workers)
 * @param seed the root of all randomness: the per-epoch permutation and every sample's
 *     augmentation (default 0)
 * @param rank this process's shard (default 0)
 * @param worldSize the number of shards (default 1); each rank gets a disjoint, equally long slice
 *     of every epoch's permutation, and the at most {@code worldSize - 1} indices left over at the
 *     end of the permutation are not used that epoch
 * @param start where to begin (default {@link LoaderPosition#START}), for exact resume
 */
public record LoaderConfig(
        int batchSize,
        boolean shuffle,
        boolean dropLast,
        int workers,
        int prefetch,
        long seed,
        int rank,
        int worldSize,
        LoaderPosition start) {

    /** Validates the settings. */
    public LoaderConfig {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, got " + workers);
        }
        if (prefetch < 1) {
            throw new IllegalArgumentException("prefetch must be at least 1, got " + prefetch);
        }
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("need 0 <= rank < worldSize, got rank " + rank + " of " + worldSize);
        }
        if (start == null) {
            throw new IllegalArgumentException("start position must not be null");
        }
    }

    /**
     * Returns the defaults for a batch size: shuffled, keep the last batch, 2 workers, prefetch 4,
     * seed 0, a single shard, starting at epoch 0.
     *
     * @param batchSize samples per batch
     * @return the configuration
     */
    public static LoaderConfig of(int batchSize) {
        return new LoaderConfig(batchSize, true, false, 2, 4, 0L, 0, 1, LoaderPosition.START);
    }

    /**
     * Returns a copy with another shuffle setting.
     *
     * @param value the new setting
     * @return the modified copy
     */
    public LoaderConfig withShuffle(boolean value) {
        return new LoaderConfig(batchSize, value, dropLast, workers, prefetch, seed, rank, worldSize, start);
    }

    /**
     * Returns a copy with another drop-last setting.
     *
     * @param value the new setting
     * @return the modified copy
     */
    public LoaderConfig withDropLast(boolean value) {
        return new LoaderConfig(batchSize, shuffle, value, workers, prefetch, seed, rank, worldSize, start);
    }

    /**
     * Returns a copy with another worker count; prefetch becomes 2 × workers.
     *
     * @param value the new setting
     * @return the modified copy
     */
    public LoaderConfig withWorkers(int value) {
        return new LoaderConfig(batchSize, shuffle, dropLast, value, 2 * value, seed, rank, worldSize, start);
    }

    /**
     * Returns a copy with another prefetch depth.
     *
     * @param value the new setting
     * @return the modified copy
     */
    public LoaderConfig withPrefetch(int value) {
        return new LoaderConfig(batchSize, shuffle, dropLast, workers, value, seed, rank, worldSize, start);
    }

    /**
     * Returns a copy with another seed.
     *
     * @param value the new setting
     * @return the modified copy
     */
    public LoaderConfig withSeed(long value) {
        return new LoaderConfig(batchSize, shuffle, dropLast, workers, prefetch, value, rank, worldSize, start);
    }

    /**
     * Returns a copy that reads one shard.
     *
     * @param shardRank this rank, {@code 0 <= shardRank < shardCount}
     * @param shardCount the world size
     * @return the configuration
     */
    public LoaderConfig withShard(int shardRank, int shardCount) {
        return new LoaderConfig(batchSize, shuffle, dropLast, workers, prefetch, seed, shardRank, shardCount, start);
    }

    /**
     * Returns a copy that starts at a saved position.
     *
     * @param value the new setting
     * @return the modified copy
     */
    public LoaderConfig withStart(LoaderPosition value) {
        return new LoaderConfig(batchSize, shuffle, dropLast, workers, prefetch, seed, rank, worldSize, value);
    }
}

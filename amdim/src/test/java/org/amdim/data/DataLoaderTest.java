package org.amdim.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.random.RandomGenerator;
import java.util.zip.CRC32;
import org.amdim.data.augment.AmdimTransform;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.data.synthetic.SyntheticShapesDataset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Ordering, reproducibility, resume, failure propagation and shutdown of the loader. */
class DataLoaderTest {

    /** An n-image 2×3 RGB dataset: every byte of image i is i + position; label i mod 3. */
    static final class IndexedDataset implements ImageDataset {
        private final int n;
        private final int failAt;

        IndexedDataset(int n, int failAt) {
            this.n = n;
            this.failAt = failAt;
        }

        @Override public int size() { return n; }
        @Override public int height() { return 2; }
        @Override public int width() { return 3; }
        @Override public int channels() { return 3; }
        @Override public int numClasses() { return 3; }
        @Override public int label(int index) { return index % 3; }
        @Override public String name() { return "indexed(" + n + ")"; }

        @Override
        public void readImage(int index, byte[] dst) {
            if (index == failAt) {
                throw new IllegalStateException("simulated corrupt record " + index);
            }
            for (int p = 0; p < 18; p++) {
                dst[p] = (byte) (index + p);
            }
        }
    }

    /**
     * Writes the image's bytes into every view as CHW floats, plus view·1000, and adds a random
     * draw to the first value so the sample seed shows in the output.
     */
    static final class CopyTransform implements SampleTransform {
        private final int views;

        CopyTransform(int views) {
            this.views = views;
        }

        @Override public int views() { return views; }
        @Override public int outputChannels() { return 3; }
        @Override public int outputHeight() { return 2; }
        @Override public int outputWidth() { return 3; }

        @Override
        public Worker newWorker() {
            return (image, rng, out) -> {
                int noise = rng.nextInt(1 << 20);
                for (int v = 0; v < views; v++) {
                    for (int c = 0; c < 3; c++) {
                        for (int p = 0; p < 6; p++) {
                            out[v][c * 6 + p] = (image.data()[p * 3 + c] & 0xFF) + 1000 * v;
                        }
                    }
                    out[v][0] += noise;
                }
            };
        }
    }

    private final List<DataLoader> opened = new ArrayList<>();

    private DataLoader loader(ImageDataset data, SampleTransform t, LoaderConfig config) {
        DataLoader l = new DataLoader(data, t, config);
        opened.add(l);
        return l;
    }

    @AfterEach
    void closeAll() {
        opened.forEach(DataLoader::close);
    }

    /** Indices and a checksum of all view bytes of one batch. */
    record Digest(int epoch, int batch, List<Integer> indices, long crc) {}

    private static Digest digest(HostBatch b) {
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < b.size(); i++) {
            indices.add(b.index(i));
        }
        CRC32 crc = new CRC32();
        for (int v = 0; v < b.viewCount(); v++) {
            crc.update(b.view(v).toArray(ValueLayout.JAVA_BYTE));
        }
        crc.update(b.labels().toArray(ValueLayout.JAVA_BYTE));
        return new Digest(b.epoch(), b.batchIndex(), indices, crc.getValue());
    }

    private static List<Digest> epoch(DataLoader loader) {
        List<Digest> out = new ArrayList<>();
        for (HostBatch b : loader) {
            try (b) {
                out.add(digest(b));
            }
        }
        return out;
    }

    @Test
    void everyIndexExactlyOncePerEpochWithASmallerLastBatch() {
        DataLoader l = loader(new IndexedDataset(50, -1), new CopyTransform(2), LoaderConfig.of(7).withSeed(3));
        assertEquals(8, l.batchesPerEpoch());
        List<List<Integer>> orders = new ArrayList<>();
        for (int e = 0; e < 2; e++) {
            BitSet seen = new BitSet();
            List<Integer> order = new ArrayList<>();
            int batches = 0;
            for (HostBatch b : l) {
                try (b) {
                    assertEquals(e, b.epoch());
                    assertEquals(batches, b.batchIndex());
                    assertEquals(batches == 7 ? 1 : 7, b.size());
                    assertArrayEquals(new long[] {b.size(), 3, 2, 3}, b.viewShape());
                    for (int i = 0; i < b.size(); i++) {
                        int index = b.index(i);
                        assertFalse(seen.get(index), "index " + index + " twice");
                        seen.set(index);
                        order.add(index);
                        assertEquals(index % 3, b.label(i));
                        // Pixel (y=1, x=2) of channel 1 is byte position (1·3 + 2)·3 + 1 = 16.
                        assertEquals((index + 16) & 0xFF, b.get(0, i, 1, 1, 2), 0f);
                        assertEquals(((index + 16) & 0xFF) + 1000, b.get(1, i, 1, 1, 2), 0f);
                    }
                    batches++;
                }
            }
            assertEquals(8, batches);
            assertEquals(50, seen.cardinality());
            orders.add(order);
        }
        assertNotEquals(orders.get(0), orders.get(1), "each epoch has its own permutation");
        assertEquals(new LoaderPosition(2, 0), l.position());
    }

    @Test
    void dropLastAndUnshuffledOrder() {
        DataLoader l = loader(new IndexedDataset(50, -1), new CopyTransform(1),
                LoaderConfig.of(7).withDropLast(true).withShuffle(false));
        List<Digest> batches = epoch(l);
        assertEquals(7, batches.size());
        List<Integer> all = batches.stream().flatMap(d -> d.indices().stream()).toList();
        assertEquals(49, all.size());
        for (int i = 0; i < 49; i++) {
            assertEquals(i, all.get(i));
        }
    }

    @Test
    void sameSeedSameBatchesWhateverTheNumberOfWorkers() {
        ImageDataset data = new SyntheticShapesDataset(SyntheticShapesDataset.Options.DEFAULT.withSize(96));
        SampleTransform t = AmdimTransform.train(AugmentationPreset.CIFAR32);
        List<Digest> one = epoch(loader(data, t, LoaderConfig.of(16).withWorkers(1).withSeed(42)));
        List<Digest> three = epoch(loader(data, t, LoaderConfig.of(16).withWorkers(3).withPrefetch(2).withSeed(42)));
        assertEquals(one, three);
        List<Digest> other = epoch(loader(data, t, LoaderConfig.of(16).withWorkers(2).withSeed(43)));
        assertNotEquals(one, other);
    }

    @Test
    void resumingFromAPositionGivesTheRemainingBatches() {
        IndexedDataset data = new IndexedDataset(40, -1);
        LoaderConfig config = LoaderConfig.of(6).withSeed(9);
        DataLoader full = loader(data, new CopyTransform(2), config);
        List<Digest> uninterrupted = new ArrayList<>(epoch(full));
        uninterrupted.addAll(epoch(full));

        // Interrupt after 3 batches of epoch 0, as a checkpoint would.
        DataLoader first = loader(data, new CopyTransform(2), config);
        Iterator<HostBatch> it = first.iterator();
        for (int i = 0; i < 3; i++) {
            it.next().close();
            assertEquals(new LoaderPosition(0, i + 1), first.position());
        }
        LoaderPosition saved = first.position();
        first.close();

        DataLoader resumed = loader(data, new CopyTransform(2), config.withStart(saved));
        List<Digest> rest = new ArrayList<>(epoch(resumed));
        assertEquals(new LoaderPosition(1, 0), resumed.position());
        rest.addAll(epoch(resumed));
        assertEquals(uninterrupted.subList(3, uninterrupted.size()), rest);
    }

    @Test
    void anAbandonedIteratorIsReplacedByOneContinuingTheEpoch() {
        DataLoader l = loader(new IndexedDataset(30, -1), new CopyTransform(1), LoaderConfig.of(5).withSeed(1));
        List<Digest> reference = epoch(loader(new IndexedDataset(30, -1), new CopyTransform(1), LoaderConfig.of(5).withSeed(1)));
        Iterator<HostBatch> first = l.iterator();
        List<Digest> got = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            try (HostBatch b = first.next()) {
                got.add(digest(b));
            }
        }
        got.addAll(epoch(l));
        assertFalse(first.hasNext(), "the abandoned iterator is finished");
        assertEquals(reference, got);
    }

    @Test
    void aFailingReadSurfacesWithTheDatasetIndexAndCause() {
        DataLoader l = loader(new IndexedDataset(30, 13), new CopyTransform(1),
                LoaderConfig.of(5).withShuffle(false).withWorkers(3));
        Iterator<HostBatch> it = l.iterator();
        it.next().close();
        it.next().close();
        DataLoaderException e = assertThrows(DataLoaderException.class, it::next);
        assertEquals(13, e.datasetIndex());
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertEquals("simulated corrupt record 13", e.getCause().getMessage());
        assertTrue(e.getMessage().contains("dataset index 13") && e.getMessage().contains("indexed(30)"), e.getMessage());
        assertFalse(it.hasNext());
        assertEquals(new LoaderPosition(0, 2), l.position(), "the failed batch was not delivered");
    }

    @Test
    void noWorkerThreadOutlivesClose() throws InterruptedException {
        DataLoader l = loader(new SyntheticShapesDataset(SyntheticShapesDataset.Options.DEFAULT.withSize(400)),
                AmdimTransform.train(AugmentationPreset.CIFAR32), LoaderConfig.of(8).withWorkers(3));
        String prefix = l.threadNamePrefix();
        assertEquals(0, threads(prefix), "no threads before the first iterator");
        Iterator<HostBatch> it = l.iterator();
        HostBatch held = it.next();
        assertTrue(threads(prefix) == 3, "three workers running");
        l.close(); // workers are busy filling the prefetch window
        assertEquals(0, threads(prefix));
        assertEquals(8, held.size(), "a batch held across close stays readable");
        assertTrue(Float.isFinite(held.get(0, 0, 0, 0, 0)));
        held.close();
        assertThrows(IllegalStateException.class, l::iterator);
        l.close();
    }

    private static long threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
    }

    @Test
    void shardsAreDisjointAndEqual() {
        IndexedDataset data = new IndexedDataset(31, -1);
        BitSet union = new BitSet();
        for (int rank = 0; rank < 3; rank++) {
            DataLoader l = loader(data, new CopyTransform(1), LoaderConfig.of(4).withSeed(5).withShard(rank, 3));
            assertEquals(10, l.samplesPerEpoch());
            assertEquals(3, l.batchesPerEpoch());
            List<Integer> mine = epoch(l).stream().flatMap(d -> d.indices().stream()).toList();
            assertEquals(10, mine.size());
            for (int i : mine) {
                assertFalse(union.get(i), "index " + i + " in two shards");
                union.set(i);
            }
        }
        assertEquals(30, union.cardinality());
    }

    @Test
    void buffersAreReusedInSteadyState() {
        LoaderConfig config = LoaderConfig.of(4).withWorkers(2);
        DataLoader l = loader(new IndexedDataset(80, -1), new CopyTransform(2), config);
        for (int e = 0; e < 4; e++) {
            epoch(l);
        }
        assertTrue(l.bufferAllocations() <= config.prefetch() + config.workers() + 2,
                "allocated " + l.bufferAllocations() + " buffers for 80 batches");
    }

    @Test
    void segmentsAreLittleEndianAndCloseIsFinal() {
        DataLoader l = loader(new IndexedDataset(6, -1), new CopyTransform(1), LoaderConfig.of(6).withShuffle(false));
        HostBatch b = l.iterator().next();
        MemorySegment view = b.view1();
        assertEquals(6L * 18 * Float.BYTES, view.byteSize());
        ByteBuffer bytes = ByteBuffer.wrap(view.toArray(ValueLayout.JAVA_BYTE)).order(ByteOrder.LITTLE_ENDIAN);
        // Sample 2, channel 0, pixel 1 → byte 2 + 1·3 = 5.
        assertEquals(5f, bytes.getFloat(((2 * 3 + 0) * 6 + 1) * Float.BYTES), 0f);
        ByteBuffer labels = ByteBuffer.wrap(b.labels().toArray(ValueLayout.JAVA_BYTE)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(2L, labels.getLong(5 * Long.BYTES));
        assertEquals(48, b.labels().byteSize());
        assertThrows(IllegalStateException.class, b::view2);
        b.close();
        b.close();
        assertTrue(b.isClosed());
        assertThrows(IllegalStateException.class, b::view1);
    }

    @Test
    void badConfigurationsAreRejectedUpFront() {
        assertThrows(IllegalArgumentException.class, () -> LoaderConfig.of(0));
        assertThrows(IllegalArgumentException.class, () -> LoaderConfig.of(4).withShard(3, 3));
        assertThrows(IllegalArgumentException.class, () -> new DataLoader(new IndexedDataset(10, -1),
                new CopyTransform(1), LoaderConfig.of(4).withStart(new LoaderPosition(0, 4))));
        ImageDataset big = new SyntheticShapesDataset(SyntheticShapesDataset.Options.DEFAULT.withImageSize(96));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DataLoader(big, AmdimTransform.train(AugmentationPreset.CIFAR32), LoaderConfig.of(4)));
        assertTrue(e.getMessage().contains("96x96"), e.getMessage());
    }

    @Test
    void emptyEpochAdvancesThePosition() {
        DataLoader l = loader(new IndexedDataset(3, -1), new CopyTransform(1), LoaderConfig.of(4).withDropLast(true));
        assertEquals(0, l.batchesPerEpoch());
        assertFalse(l.iterator().hasNext());
        assertEquals(new LoaderPosition(1, 0), l.position());
    }

    @Test
    void sampleSeedsDependOnEpochAndIndexOnly() {
        RandomGenerator a = Seeds.sample(7, 2, 100);
        RandomGenerator b = Seeds.sample(7, 2, 100);
        assertEquals(a.nextLong(), b.nextLong());
        assertNotEquals(Seeds.sample(7, 2, 101).nextLong(), Seeds.sample(7, 2, 100).nextLong());
        assertNotEquals(Seeds.sample(7, 3, 100).nextLong(), Seeds.sample(7, 2, 100).nextLong());
        assertNotEquals(Seeds.permutation(7, 0).nextLong(), Seeds.sample(7, 0, 0).nextLong());
        assertArrayEquals(new int[] {0, 1, 2}, Arrays.stream(new int[] {0, 1, 2}).toArray());
    }
}

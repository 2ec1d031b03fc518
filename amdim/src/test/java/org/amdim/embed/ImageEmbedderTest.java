package org.amdim.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.imageio.ImageIO;

import org.amdim.data.augment.AugmentationPreset;
import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.Features;
import org.amdim.model.encoder.InferenceEncoder;
import org.amdim.model.mixture.MixtureConfig;
import org.amdim.tensor.ChildJvm;
import org.amdim.tensor.CpuMemoryCache;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.train.ModelCheckpoints;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ImageEmbedder}: its vectors are the encoder's in evaluation mode on the same preprocessed tensor, its
 * preprocessing is the original's test transform, and it stays flat in memory and correct under threads.
 */
@ExtendWith(NoLeaks.class)
class ImageEmbedderTest {
    @TempDir
    static Path dir;
    static Path cifar;

    @BeforeAll
    static void checkpoint() throws Exception {
        cifar = TinyCheckpoints.write(dir.resolve("cifar"), TinyCheckpoints.config(32, MixtureConfig.defaults()),
                "cifar10:/nowhere");
    }

    /** An image whose every sample differs, so any misplaced pixel or channel shows. */
    static BufferedImage pattern(int h, int w, long seed) {
        Random rng = new Random(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rng.nextInt(1 << 24));
            }
        }
        return img;
    }

    /** The normalised value by hand: (v/255 − mean)/std in float32, as torchvision's ToTensor + Normalize. */
    static float normalised(int v, double mean, double std) {
        return ((float) v / 255f - (float) mean) / (float) std;
    }

    /**
     * Same encoder, same inputs; only the batch around an image may differ, so only the order of float32 sums
     * can: bounded as the project's encoder reference checks bound a whole encoder pass, 5e-5 of the largest
     * magnitude (a few units of float32 rounding, 6e-8, times the fan-in of the convolutions' sums).
     */
    static void assertSameEmbedding(float[] expected, float[] actual, String what) {
        double max = 0;
        for (float v : expected) {
            max = Math.max(max, Math.abs(v));
        }
        assertArrayEquals(expected, actual, (float) (5e-5 * max), what);
    }

    /**
     * The embedder's packed inference path against the encoder module: the same function, with other summation
     * orders and (with use_bn) folded batch norms, so equal to float32 rounding; bounded as InferenceEncoderTest
     * bounds it, 1e-5 of the largest magnitude (the eval-mode allowance of the reference checks).
     */
    static void assertSameFunction(float[] expected, float[] actual, String what) {
        double max = 0;
        for (float v : expected) {
            max = Math.max(max, Math.abs(v));
        }
        assertArrayEquals(expected, actual, (float) (1e-5 * max), what);
    }

    @Test
    void anImagesEmbeddingIsTheEvalModeEncodersR1OnTheSamePreprocessedTensor() throws Exception {
        BufferedImage img = pattern(32, 32, 1);
        try (ImageEmbedder embedder = ImageEmbedder.open(dir.resolve("cifar"));
                AmdimModel model = ModelCheckpoints.load(cifar);
                var scope = TensorScope.open()) {
            assertEquals(32, embedder.dimension());
            float[] x = embedder.preprocess(img);
            Features f = model.encoder().encode(Tensor.of(x, 1, 3, 32, 32));
            float[] expected = f.r1().flatten().toFloatArray();
            assertSameFunction(expected, embedder.embed(img), "r1");
            assertTrue(embedder.toString().endsWith("cpu, packed path)"), embedder.toString());
            // a training-mode pass (batch statistics) gives something else: the test can tell the modes apart
            model.train();
            Features t = model.encoder().encode(Tensor.of(x, 1, 3, 32, 32).repeat(2, 1, 1, 1));
            float[] trainMode = t.r1().narrow(0, 0, 1).flatten().toFloatArray();
            assertTrue(maxDiff(expected, trainMode) > 1e-3, "training mode should differ from evaluation mode");
        }
    }

    @Test
    void encodedBytesFilesAndDecodedImagesGiveTheSameVector() throws Exception {
        BufferedImage img = pattern(32, 32, 2);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        Path file = dir.resolve("two.png");
        Files.write(file, png.toByteArray());
        try (ImageEmbedder embedder = ImageEmbedder.open(cifar)) {
            float[] v = embedder.embed(img);
            assertArrayEquals(v, embedder.embed(png.toByteArray()), 0f);
            assertArrayEquals(v, embedder.embed(file), 0f);
            assertArrayEquals(v, embedder.embedFiles(List.of(file)).get(0), 0f);
            var e = assertThrows(java.io.IOException.class, () -> embedder.embed(new byte[] {1, 2, 3}));
            assertTrue(e.getMessage().contains("no image decoder recognises 3 bytes"), e.getMessage());
        }
    }

    @Test
    void batchesGiveEachImageItsOwnEmbedding() throws Exception {
        List<BufferedImage> images = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            images.add(pattern(32, 32, 100 + i));
        }
        try (ImageEmbedder embedder = ImageEmbedder.open(cifar, ImageEmbedder.Options.defaults().withBatchSize(3))) {
            List<float[]> batched = embedder.embedImages(images);
            assertEquals(7, batched.size());
            for (int i = 0; i < 7; i++) {
                assertSameEmbedding(embedder.embed(images.get(i)), batched.get(i), "image " + i);
            }
            // the tensor form: (B, D) on the CPU
            float[] flat = new float[3 * 32 * 32 * 2];
            System.arraycopy(embedder.preprocess(images.get(0)), 0, flat, 0, 3072);
            System.arraycopy(embedder.preprocess(images.get(1)), 0, flat, 3072, 3072);
            try (Tensor x = Tensor.of(flat, 2, 3, 32, 32); Tensor e = embedder.embedTensor(x)) {
                assertArrayEquals(new long[] {2, 32}, e.shape());
                assertSameEmbedding(batched.get(1), java.util.Arrays.copyOfRange(e.toFloatArray(), 32, 64), "row 1");
            }
        }
    }

    @Test
    void cifarPreprocessingIsNormalisationByHand() throws Exception {
        BufferedImage img = pattern(32, 32, 3);
        try (ImageEmbedder embedder = ImageEmbedder.open(cifar)) {
            assertSame(AugmentationPreset.CIFAR32, embedder.preset());
            float[] x = embedder.preprocess(img);
            double[] mean = {125.3 / 255, 123.0 / 255, 113.9 / 255};
            double[] std = {63.0 / 255, 62.1 / 255, 66.7 / 255};
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 32; y++) {
                    for (int xx = 0; xx < 32; xx++) {
                        int v = (img.getRGB(xx, y) >> (16 - 8 * c)) & 0xFF;
                        assertEquals(normalised(v, mean[c], std[c]), x[(c * 32 + y) * 32 + xx], 0f);
                    }
                }
            }
            // the original's CIFAR test transform does not resize: other sizes are refused, with the reason
            var e = assertThrows(IllegalArgumentException.class, () -> embedder.embed(pattern(40, 40, 4)));
            assertTrue(e.getMessage().contains("32x32"), e.getMessage());
        }
    }

    @Test
    void stlPreprocessingCentreCropsAt64AsTorchvisionByHand() throws Exception {
        Path stl = TinyCheckpoints.write(dir.resolve("stl"), TinyCheckpoints.config(64, MixtureConfig.defaults()),
                "stl10:/nowhere");
        // shorter side already 70: Resize(70) leaves it; CenterCrop(64) takes rows 3.. (round((70-64)/2)) and
        // columns 13.. (round((90-64)/2))
        BufferedImage img = pattern(70, 90, 5);
        try (ImageEmbedder embedder = ImageEmbedder.open(stl)) {
            assertSame(AugmentationPreset.STL64, embedder.preset());
            float[] x = embedder.preprocess(img);
            double[] mean = {0.43, 0.42, 0.39};
            double[] std = {0.27, 0.26, 0.27};
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 64; y++) {
                    for (int xx = 0; xx < 64; xx++) {
                        int v = (img.getRGB(xx + 13, y + 3) >> (16 - 8 * c)) & 0xFF;
                        assertEquals(normalised(v, mean[c], std[c]), x[(c * 64 + y) * 64 + xx], 0f);
                    }
                }
            }
            assertEquals(32, embedder.embed(pattern(100, 80, 6)).length, "any size is resized");
        }
    }

    @Test
    void imagenetPreprocessingIsTheImageFolderEvaluationPipeline() throws Exception {
        Path run = TinyCheckpoints.write(dir.resolve("folder"), TinyCheckpoints.config(128, MixtureConfig.defaults()),
                "folder:/nowhere");
        Path root = dir.resolve("images");
        Files.createDirectories(root.resolve("val/a"));
        BufferedImage img = pattern(150, 170, 7);
        ImageIO.write(img, "png", root.resolve("val/a/x.png").toFile());
        var data = org.amdim.data.io.ImageFolderDataset.open(root.resolve("val"),
                org.amdim.data.io.ImageFolderDataset.Options.DEFAULT);
        // what the training loop's evaluation feeds the encoder for this file: the loader with the test transform
        float[] expected;
        try (var loader = new org.amdim.data.DataLoader(data,
                org.amdim.data.augment.AmdimTransform.test(AugmentationPreset.IMAGENET128),
                org.amdim.data.LoaderConfig.of(1).withShuffle(false).withDropLast(false));
                var batch = loader.iterator().next()) {
            expected = batch.view1().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
        }
        try (ImageEmbedder embedder = ImageEmbedder.open(run)) {
            assertSame(AugmentationPreset.IMAGENET128, embedder.preset());
            assertArrayEquals(expected, embedder.preprocess(ImageIO.read(root.resolve("val/a/x.png").toFile())), 0f);
        }
    }

    @Test
    void grayImagesAreReplicatedToRgb() throws Exception {
        BufferedImage gray = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(5, 6, 0, 200);
        try (ImageEmbedder embedder = ImageEmbedder.open(cifar)) {
            float[] x = embedder.preprocess(gray);
            int at = 6 * 32 + 5;
            assertEquals(normalised(200, 125.3 / 255, 63.0 / 255), x[at], 0f);
            assertEquals(normalised(200, 123.0 / 255, 62.1 / 255), x[1024 + at], 0f);
            assertEquals(normalised(200, 113.9 / 255, 66.7 / 255), x[2048 + at], 0f);
        }
    }

    @Test
    void pooledMapsAndMixtureComponentsAreTheEncodersOutputs() throws Exception {
        Path mix = TinyCheckpoints.write(dir.resolve("mix"), TinyCheckpoints.config(32, MixtureConfig.of(3, 1.0)),
                "synthetic(100)");
        BufferedImage img = pattern(32, 32, 8);
        try (AmdimModel model = ModelCheckpoints.load(mix); var scope = TensorScope.open()) {
            float[] x;
            try (ImageEmbedder r1 = ImageEmbedder.open(mix)) {
                x = r1.preprocess(img);
            }
            Features f = model.encoder().encode(Tensor.of(x, 1, 3, 32, 32));
            Map<EmbeddingOutput, float[]> expected = Map.of(
                    EmbeddingOutput.R5_POOLED, f.r5().mean(new long[] {2, 3}, false).toFloatArray(),
                    EmbeddingOutput.R7_POOLED, f.r7().mean(new long[] {2, 3}, false).toFloatArray(),
                    EmbeddingOutput.MIXTURE, model.mixture().components(f.r1()).toFloatArray());
            for (var e : expected.entrySet()) {
                try (ImageEmbedder embedder = ImageEmbedder.open(mix,
                        ImageEmbedder.Options.defaults().withOutput(e.getKey()))) {
                    assertEquals(e.getValue().length, embedder.dimension(), e.getKey().toString());
                    assertSameFunction(e.getValue(), embedder.embed(img), e.getKey().toString());
                }
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> ImageEmbedder.open(cifar,
                ImageEmbedder.Options.defaults().withOutput(EmbeddingOutput.MIXTURE)));
        assertTrue(e.getMessage().contains("without mixture heads"), e.getMessage());
    }

    @Test
    void theR1PathSkipsTheHeadsButGivesTheSameValues() throws Exception {
        try (AmdimModel model = ModelCheckpoints.load(cifar); var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(3, 3, 32, 32);
            Features f = model.encoder().encode(x);
            assertArrayEquals(f.r1().toFloatArray(), model.encoder().encodeGlobal(x).toFloatArray(), 0f);
        }
    }

    @Test
    void eachOutputsInferenceEncoderHoldsWhatTheOutputReads() throws Exception {
        try (AmdimModel model = ModelCheckpoints.load(cifar); var scope = TensorScope.open()) {
            model.eval();
            Tensor x = Tensor.randn(2, 3, 32, 32);
            try (InferenceEncoder r1 = EmbeddingOutput.R1.inferenceEncoder(model.encoder());
                    InferenceEncoder pooled = EmbeddingOutput.R5_POOLED.inferenceEncoder(model.encoder())) {
                assertThrows(IllegalStateException.class, () -> r1.encode(x), "r1 alone: no heads kept");
                assertArrayEquals(new long[] {2, 32, 5, 5}, pooled.encode(x).r5().shape());
                assertSameFunction(pooled.encodeGlobal(x).toFloatArray(), r1.encodeGlobal(x).toFloatArray(), "r1");
            }
        }
    }

    @Test
    void nativeMemoryStaysFlatOverManyCalls() throws Exception {
        BufferedImage img = pattern(32, 32, 9);
        try (ImageEmbedder embedder = ImageEmbedder.open(cifar)) {
            embedder.embed(img); // first use: libtorch and oneDNN set up what they keep
            long handles = Tensor.liveHandles();
            long bytes = CpuMemoryCache.stats().liveBytes();
            for (int i = 0; i < 300; i++) {
                embedder.embed(img);
            }
            embedder.embedImages(java.util.Collections.nCopies(50, img));
            assertEquals(handles, Tensor.liveHandles(), "tensor handles");
            assertEquals(bytes, CpuMemoryCache.stats().liveBytes(), "live tensor bytes");
        }
    }

    @Test
    void oneInstanceServesManyThreads() throws Exception {
        int threads = 4;
        int perThread = 12;
        List<BufferedImage> images = new ArrayList<>();
        for (int i = 0; i < threads * perThread; i++) {
            images.add(pattern(32, 32, 200 + i));
        }
        try (ImageEmbedder embedder = ImageEmbedder.open(cifar, ImageEmbedder.Options.defaults().withBatchSize(5))) {
            List<float[]> serial = new ArrayList<>();
            for (BufferedImage img : images) {
                serial.add(embedder.embed(img));
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<List<float[]>>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    List<BufferedImage> mine = images.subList(t * perThread, (t + 1) * perThread);
                    int tt = t;
                    // half the threads one image at a time, half in batches: both paths at once
                    futures.add(pool.submit(() -> {
                        if (tt % 2 == 1) {
                            return embedder.embedImages(mine);
                        }
                        List<float[]> out = new ArrayList<>();
                        for (BufferedImage img : mine) {
                            out.add(embedder.embed(img));
                        }
                        return out;
                    }));
                }
                for (int t = 0; t < threads; t++) {
                    List<float[]> got = futures.get(t).get();
                    for (int i = 0; i < perThread; i++) {
                        assertSameEmbedding(serial.get(t * perThread + i), got.get(i), "thread " + t + " image " + i);
                    }
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void aClosedEmbedderRefusesWorkInsteadOfCrashing() throws Exception {
        ImageEmbedder embedder = ImageEmbedder.open(cifar);
        embedder.close();
        embedder.close(); // twice is fine
        var e = assertThrows(IllegalStateException.class, () -> embedder.embed(pattern(32, 32, 10)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void theTransformComesFromTheRecordedDatasetOrElseTheInputSize() {
        assertSame(AugmentationPreset.STL64, ImageEmbedder.presetOf(Map.of("dataset", "stl10:/d"), 64));
        assertSame(AugmentationPreset.CIFAR32, ImageEmbedder.presetOf(Map.of("dataset", "synthetic(100)"), 32));
        assertSame(AugmentationPreset.CIFAR32, ImageEmbedder.presetOf(Map.of("dataset", "fashion-mnist:/d"), 32));
        assertSame(AugmentationPreset.IMAGENET128, ImageEmbedder.presetOf(Map.of(), 128));
        assertSame(AugmentationPreset.STL64, ImageEmbedder.presetOf(Map.of("dataset", "something-new:/d"), 64));
        assertThrows(IllegalArgumentException.class, () -> ImageEmbedder.presetOf(Map.of(), 48));
    }

    @Test
    void openingAnEmbedderWorksAsTheFirstCallOfAProgram() throws Exception {
        // In a fresh JVM nothing has loaded the native shim: the embedder must see to it itself.
        ChildJvm.Result r = ChildJvm.run(FirstCall.class, 120, cifar.toString());
        assertTrue(r.finished(), "the child did not finish");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("dimension 32"), r.output());
    }

    /** The child: its first call opens an embedder, then it embeds one image. */
    public static final class FirstCall {
        public static void main(String[] args) throws Exception {
            try (ImageEmbedder embedder = ImageEmbedder.open(Path.of(args[0]))) {
                System.out.println("dimension " + embedder.embed(pattern(32, 32, 1)).length);
            }
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}

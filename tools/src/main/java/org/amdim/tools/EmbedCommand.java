package org.amdim.tools;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.amdim.data.ImageDataset;
import org.amdim.embed.DatasetEmbeddings;
import org.amdim.embed.EmbeddingOutput;
import org.amdim.embed.ImageEmbedder;
import org.amdim.embed.ImageFiles;
import org.amdim.nn.io.Json;
import org.amdim.nn.io.TensorFiles;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.data.DatasetSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code amdim embed}: the embeddings of a dataset split or of a folder of images, as one safetensors file that
 * {@code safetensors.numpy.load_file} reads: {@code embeddings} float32 (N, D); for a dataset {@code labels} int64
 * (N) ({@code -1} where unlabelled) and {@code indices} int64 (N), the dataset index of each row; for a folder
 * the files' relative paths, row by row, as the JSON list {@code files} in the metadata.
 */
@Command(name = "embed", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Write the embeddings of a dataset split (--dataset, --data, --split) or of a folder of images"
                + " (--images) as safetensors: 'embeddings' float32 [N, D], with 'labels' and 'indices' (int64)"
                + " for a dataset, or the file names (metadata 'files', a JSON list) for a folder.",
            "Images get the evaluation transform of the data the checkpoint was trained on."})
public final class EmbedCommand implements Callable<Integer> {
    /** The {@code format} metadata value of the files this command writes. */
    static final String FORMAT = "amdim-embeddings/1";

    @Spec
    private CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "Checkpoint file or run directory.")
    Path checkpoint;

    @Mixin
    DatasetOptions data;

    @Option(names = "--split", defaultValue = "test", description = "Dataset split: train or test.")
    String split;

    @Option(names = "--images", description = "A folder of JPEG/PNG images (searched recursively) instead of a"
            + " dataset.")
    Path images;

    @Option(names = "--output-kind", defaultValue = "r1",
            description = "Which embedding: r1 (global), r5 or r7 (local maps averaged), mixture (components).")
    String outputKind;

    @Option(names = "--batch", defaultValue = "" + DatasetEmbeddings.DEFAULT_BATCH_SIZE,
            description = "Images per encoder pass.")
    int batch;

    @Option(names = "--max-images", defaultValue = "0", description = "Embed at most N images (0: all).")
    int maxImages;

    @Mixin
    ComputeOptions compute;

    @Option(names = {"--output", "-o"}, required = true, description = "The safetensors file to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        EmbeddingOutput kind = parseOptions();
        compute.applyMallocArenas();
        compute.applyThreads();
        compute.applyTf32();
        Device dev = compute.device();
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("checkpoint", checkpoint.toString());
        meta.put("output", kind.cliName());
        ImageEmbedder.Options options = ImageEmbedder.Options.defaults().withOutput(kind).withBatchSize(batch)
                .withDevice(dev);
        try (var scope = TensorScope.open(); ImageEmbedder embedder = ImageEmbedder.open(checkpoint, options)) {
            meta.put("transform", embedder.preset().name());
            if (images != null) {
                List<String> files = imageFiles();
                tensors.put("embeddings", embedFolder(embedder, files, out));
                meta.put("images", images.toString());
                meta.put("files", Json.write(files));
            } else {
                DatasetSpec ds = data.spec();
                if (ds.inputSize() != embedder.inputSize()) {
                    throw new IllegalArgumentException("the checkpoint's encoder takes " + embedder.inputSize()
                            + " px images but " + ds + " gives " + ds.inputSize() + " px; pass the dataset it was"
                            + " trained on");
                }
                ImageDataset set = ds.open(split.equals("train"));
                int n = maxImages == 0 ? set.size() : Math.min(maxImages, set.size());
                ImagesProgress progress = ImagesProgress.on(out, "embedding", n);
                DatasetEmbeddings e = embedder.embedDataset(set, n, progress::update);
                progress.finish(n, "embedded " + set.name());
                tensors.put("embeddings", e.embeddings());
                tensors.put("labels", e.labels());
                tensors.put("indices", Tensor.arange(n));
                meta.put("dataset", ds.toString());
                meta.put("split", split);
            }
            Files.createDirectories(output.toAbsolutePath().getParent());
            TensorFiles.save(output, tensors, meta);
            long[] shape = tensors.get("embeddings").shape();
            out.printf(Locale.ROOT, "wrote %s: embeddings [%d, %d] (%s)%n", output, shape[0], shape[1],
                    kind.cliName());
            out.flush();
        }
        return 0;
    }

    /** Checks the options against each other; a bad combination is a usage error naming the options. */
    private EmbeddingOutput parseOptions() {
        if (batch < 1) {
            throw usage("--batch must be >= 1, got " + batch);
        }
        if (maxImages < 0) {
            throw usage("--max-images must be >= 0, got " + maxImages);
        }
        if (!split.equals("train") && !split.equals("test")) {
            throw usage("--split must be train or test, got '" + split + "'");
        }
        var parsed = spec.commandLine().getParseResult();
        if (images != null && (parsed.hasMatchedOption("--dataset") || parsed.hasMatchedOption("--data")
                || parsed.hasMatchedOption("--split"))) {
            throw usage("--images embeds a plain folder: it cannot be combined with --dataset, --data or --split");
        }
        if (images == null && data.kind != DatasetSpec.Kind.SYNTHETIC && data.dir == null) {
            throw usage("--data DIR is required for --dataset " + data.kind.name().toLowerCase(Locale.ROOT));
        }
        try {
            return EmbeddingOutput.parse(outputKind);
        } catch (IllegalArgumentException e) {
            throw usage("--output-kind: " + e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** The image files under {@link #images}, relative, '/'-separated, sorted. */
    private List<String> imageFiles() throws IOException {
        if (!Files.isDirectory(images)) {
            throw new IOException("image folder " + images + " does not exist");
        }
        try (Stream<Path> walk = Files.walk(images)) {
            List<String> files = walk.filter(Files::isRegularFile).filter(ImageFiles::isImageName)
                    .map(p -> images.relativize(p).toString().replace(java.io.File.separatorChar, '/'))
                    .sorted().toList();
            if (files.isEmpty()) {
                throw new IOException("no .jpg, .jpeg or .png files under " + images);
            }
            return maxImages > 0 && files.size() > maxImages ? files.subList(0, maxImages) : files;
        }
    }

    /**
     * Embeds the files a batch at a time: the batch's files are decoded and preprocessed in parallel (the embedder
     * is made for sharing), then encoded in one pass into their rows of the (N, D) result.
     */
    private Tensor embedFolder(ImageEmbedder embedder, List<String> files, PrintWriter out) {
        int n = files.size();
        int length = 3 * embedder.inputSize() * embedder.inputSize();
        Tensor all = Tensor.zeros(DType.FLOAT32, Device.CPU, n, embedder.dimension());
        ImagesProgress progress = ImagesProgress.on(out, "embedding", n);
        for (int start = 0; start < n; start += batch) {
            int len = Math.min(batch, n - start);
            float[] x = new float[len * length];
            int first = start;
            IntStream.range(0, len).parallel().forEach(i -> {
                Path f = images.resolve(files.get(first + i));
                BufferedImage img;
                try {
                    img = ImageFiles.decode(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
                try {
                    System.arraycopy(embedder.preprocess(img), 0, x, i * length, length);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(f + ": " + e.getMessage(), e);
                }
            });
            try (var step = TensorScope.open()) {
                Tensor batchX = Tensor.of(x, len, 3, embedder.inputSize(), embedder.inputSize());
                all.narrow(0, start, len).copy_(embedder.embedTensor(batchX));
            }
            progress.update(start + len);
        }
        progress.finish(n, "embedded " + images);
        return all;
    }

}

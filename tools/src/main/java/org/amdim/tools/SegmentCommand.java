package org.amdim.tools;

import java.awt.Color;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import org.amdim.data.ImageBuffer;
import org.amdim.data.ImageDataset;
import org.amdim.data.SampleTransform;
import org.amdim.data.augment.AmdimTransform;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.model.AmdimModel;
import org.amdim.model.mixture.MixtureAssignment;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tools.render.Denormalizer;
import org.amdim.tools.render.GridLayout;
import org.amdim.tools.render.ImageGrid;
import org.amdim.tools.render.Palette;
import org.amdim.tools.render.Png;
import org.amdim.data.DatasetSpec;
import org.amdim.train.ModelCheckpoints;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code amdim segment}: the mixture heads' segmentation read-out as a PNG. For the first {@code --count} test
 * images it runs {@link AmdimModel#segment} (every 7×7 location of the local feature map assigned to the mixture
 * component that matches it best) and draws each image beside a gray copy overlaid with its component map,
 * upsampled (nearest) to the image size, one colour per component, with white lines between regions of different
 * components; a legend gives each component's share of the locations.
 */
@Command(name = "segment", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Overlay the mixture components' assignment maps (7x7) on test images, as a PNG (needs a"
                + " checkpoint trained with --mixture K).",
            "Pass the dataset the checkpoint was trained on (the same --dataset and --data); its first --count test"
                + " images are segmented."})
public final class SegmentCommand implements Callable<Integer> {
    /** Pixels between tiles. */
    static final int GAP = 4;
    /** Width reserved for one legend entry. */
    static final int LEGEND_ENTRY = 150;
    /** Height of one legend line. */
    static final int LEGEND_LINE = 20;

    @Spec
    private CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "Checkpoint file or run directory.")
    Path checkpoint;

    @Mixin
    DatasetOptions data;

    @Option(names = {"--count", "-n"}, defaultValue = "8", description = "Test images to segment.")
    int count;

    @Option(names = "--columns", defaultValue = "4", description = "Images per row (each as image + overlay).")
    int columns;

    @Option(names = "--scale", defaultValue = "0",
            description = "Enlargement factor (nearest neighbour); 0 picks one that makes tiles about 128 px.")
    int scale;

    @Option(names = "--alpha", defaultValue = "0.55",
            description = "Opacity of the colour overlay over the gray image (0..1).")
    double alpha;

    @Mixin
    ComputeOptions compute;


    @Option(names = {"--output", "-o"}, defaultValue = "segment.png", description = "The PNG file to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        Png.ensureHeadless();
        OptionRanges ranges = OptionRanges.of(spec);
        data.checkRanges(ranges);
        compute.checkRanges(ranges);
        ranges.atLeast("--count", count, 1).atLeast("--columns", columns, 1).between("--scale", scale, 0, 32, "")
                .between("--alpha", alpha, 0.0, 1.0);
        Device dev = compute.device();
        compute.applyMallocArenas();
        compute.applyThreads();
        compute.applyTf32();
        DatasetSpec ds = data.spec();
        AugmentationPreset preset = ds.preset();
        int side = preset.outputSize();
        ImageDataset test = ds.open(false);
        try (AmdimModel model = ModelCheckpoints.load(checkpoint)) {
            if (model.mixture() == null) {
                throw new CommandFailedException("the checkpoint was trained without --mixture: " + checkpoint
                        + " has no mixture heads to segment with (train with --mixture K)");
            }
            int modelSide = model.config().encoder().inputSize();
            if (modelSide != side) {
                throw new IllegalArgumentException("the checkpoint's encoder takes " + modelSide + "x" + modelSide
                        + " images but " + ds + " gives " + side + "x" + side + "; pass the dataset it was trained on");
            }
            // The read-out looks at each image alone, so one image is enough and the batch changes no map.
            int n = Math.min(count, test.size());
            if (n < 1) {
                throw new IllegalArgumentException(test.name() + " has no test images to segment");
            }
            int batch = n;
            int k = model.mixture().components();
            int factor = scale > 0 ? scale : Math.max(1, ViewsCommand.AUTO_TILE / side);
            int perRow = Math.min(columns, n);
            int rows = (n + perRow - 1) / perRow;
            int cols = 2 * perRow;
            int tile = side * factor;
            int width = cols * tile + (cols + 1) * GAP;
            int legendLines = legendLines(k, width);
            GridLayout layout = new GridLayout(rows, cols, tile, tile, GAP, ImageGrid.LABEL_BAND,
                    legendLines * LEGEND_LINE + GAP);
            model.to(dev);
            float[] x = testViews(test, preset, batch);
            long[] map;
            int mh;
            int mw;
            try (var scope = TensorScope.open()) {
                Tensor input = Tensor.of(x, batch, 3, side, side).to(dev);
                try (MixtureAssignment a = model.segment(input)) {
                    mh = (int) a.map().size(1);
                    mw = (int) a.map().size(2);
                    map = a.map().to(Device.CPU).toLongArray();
                }
            }
            ImageGrid grid = new ImageGrid(layout);
            Denormalizer denorm = new Denormalizer(preset.normalization());
            int length = 3 * side * side;
            long[] usage = new long[k];
            for (int i = 0; i < n; i++) {
                BufferedImage img = denorm.image(x, i * length, side, side);
                int[] cells = new int[mh * mw];
                for (int c = 0; c < cells.length; c++) {
                    cells[c] = (int) map[i * cells.length + c];
                    usage[cells[c]]++;
                }
                grid.place(i / perRow, 2 * (i % perRow), img);
                grid.place(i / perRow, 2 * (i % perRow) + 1, overlay(img, cells, mh, mw, alpha, factor));
            }
            for (int c = 0; c < perRow; c++) {
                grid.title(2 * c, "image");
                grid.title(2 * c + 1, "components");
            }
            long total = (long) n * mh * mw;
            drawLegend(grid, usage, total);
            Png.write(grid.image(), output);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("wrote %s (%dx%d): %d test images of %s, %d components on a %dx%d map%n", output,
                    layout.width(), layout.height(), n, ds, k, mh, mw);
            out.println("component share of locations: " + shares(usage, total));
            out.flush();
        }
        return AmdimCli.EXIT_OK;
    }

    /** The first {@code batch} test images through the evaluation transform, as one NCHW float array. */
    private static float[] testViews(ImageDataset test, AugmentationPreset preset, int batch) {
        SampleTransform transform = AmdimTransform.test(preset);
        transform.checkCompatible(test);
        SampleTransform.Worker worker = transform.newWorker();
        int length = transform.viewLength();
        float[] x = new float[batch * length];
        float[][] one = new float[1][length];
        ImageBuffer image = new ImageBuffer();
        for (int i = 0; i < batch; i++) {
            test.readImage(i, image);
            worker.apply(image, new SplittableRandom(0), one); // deterministic: never drawn from
            System.arraycopy(one[0], 0, x, i * length, length);
        }
        return x;
    }

    /**
     * The overlay tile, {@code factor} times the size of {@code img}: the image in gray (so that the component
     * colours stand out) blended with the colour of its map cell with opacity {@code alpha}, and a white line of
     * one display pixel where a cell borders a cell of another component (on the cell's right and lower edge).
     * Source pixel (y, x) lies in map cell ({@code y·mh/H}, {@code x·mw/W}).
     */
    static BufferedImage overlay(BufferedImage img, int[] cells, int mh, int mw, double alpha, int factor) {
        int h = img.getHeight();
        int w = img.getWidth();
        int[] colors = new int[cells.length];
        for (int c = 0; c < cells.length; c++) {
            colors[c] = Palette.color(cells[c]).getRGB();
        }
        BufferedImage out = new BufferedImage(w * factor, h * factor, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h * factor; y++) {
            int sy = y / factor;
            int cy = sy * mh / h;
            // The display row below, in source and map coordinates, to find borders.
            int cyBelow = y + 1 < h * factor ? ((y + 1) / factor) * mh / h : cy;
            for (int x = 0; x < w * factor; x++) {
                int sx = x / factor;
                int cx = sx * mw / w;
                int cxRight = x + 1 < w * factor ? ((x + 1) / factor) * mw / w : cx;
                int cell = cells[cy * mw + cx];
                boolean border = cells[cy * mw + cxRight] != cell || cells[cyBelow * mw + cx] != cell;
                out.setRGB(x, y, border ? 0xFFFFFF : blend(gray(img.getRGB(sx, sy)), colors[cy * mw + cx], alpha));
            }
        }
        return out;
    }

    /** The luma (ITU-R BT.601 weights) of an RGB pixel, as a gray RGB pixel. */
    static int gray(int rgb) {
        int v = (int) Math.round(0.299 * ((rgb >> 16) & 0xFF) + 0.587 * ((rgb >> 8) & 0xFF) + 0.114 * (rgb & 0xFF));
        return v << 16 | v << 8 | v;
    }

    static int blend(int under, int over, double alpha) {
        int rgb = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            double u = (under >> shift) & 0xFF;
            double o = (over >> shift) & 0xFF;
            rgb |= (int) Math.round(u + alpha * (o - u)) << shift;
        }
        return rgb;
    }

    /** Lines the legend needs for {@code k} entries of {@link #LEGEND_ENTRY} pixels in a picture {@code width} wide. */
    static int legendLines(int k, int width) {
        int perLine = Math.max(1, (width - 2 * GAP) / LEGEND_ENTRY);
        return (k + perLine - 1) / perLine;
    }

    private static void drawLegend(ImageGrid grid, long[] usage, long total) {
        GridLayout layout = grid.layout();
        int perLine = Math.max(1, (layout.width() - 2 * GAP) / LEGEND_ENTRY);
        Graphics2D g = Png.graphics(grid.image());
        try {
            g.setFont(ImageGrid.LABEL_FONT);
            FontMetrics fm = g.getFontMetrics();
            for (int j = 0; j < usage.length; j++) {
                int x = GAP + (j % perLine) * LEGEND_ENTRY;
                int y = layout.footerTop() + (j / perLine) * LEGEND_LINE;
                g.setColor(Palette.color(j));
                g.fillRect(x, y + 3, 14, 14);
                g.setColor(Color.DARK_GRAY);
                g.drawRect(x, y + 3, 14, 14);
                String label = String.format(Locale.ROOT, "component %d: %.0f%%", j, 100.0 * usage[j] / total);
                g.drawString(label, x + 20, y + 10 + (fm.getAscent() - fm.getDescent()) / 2);
            }
        } finally {
            g.dispose();
        }
    }

    private static String shares(long[] usage, long total) {
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < usage.length; j++) {
            sb.append(j == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%d: %.1f%%", j, 100.0 * usage[j] / total));
        }
        return sb.toString();
    }
}

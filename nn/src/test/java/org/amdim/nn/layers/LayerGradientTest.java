package org.amdim.nn.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import java.util.stream.Stream;

import org.amdim.nn.GradCheck;
import org.amdim.nn.Module;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Functional.PadMode;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every layer with parameters or a non-trivial backward, in float64, against central finite differences: the
 * gradients of the input and of every parameter.
 */
@ExtendWith(NoLeaks.class)
class LayerGradientTest {
    private static final double EPS = 1e-6;
    private static final double TOL = 1e-6;

    private static Arguments layer(String name, Supplier<Module> build, long... inputShape) {
        return Arguments.of(name, build, inputShape);
    }

    private static Conv2d.Options conv() {
        return Conv2d.Options.defaults();
    }

    /** A module that has already seen two training batches, then switched to evaluation. */
    private static Module trainedThenEval(Module m, long... shape) {
        m.to(DType.FLOAT64);
        for (int i = 0; i < 2; i++) {
            try (var scope = TensorScope.open()) {
                // only the running statistics matter
                m.forward(Tensor.randn(DType.FLOAT64, Device.CPU, shape).mul(2).add(0.5));
            }
        }
        return m.eval();
    }

    static Stream<Arguments> layers() {
        BatchNorm.Options noAffine = new BatchNorm.Options(1e-5, 0.1, false, true);
        BatchNorm.Options untracked = new BatchNorm.Options(1e-5, 0.1, true, false);
        return Stream.of(
                layer("Linear", () -> new Linear(5, 4), 3, 5),
                layer("Linear without bias on 3-D input", () -> new Linear(5, 4, false), 2, 3, 5),
                layer("Conv2d", () -> new Conv2d(3, 4, 3), 2, 3, 6, 6),
                layer("Conv2d whole window (a matrix product)", () -> new Conv2d(3, 4, 3), 2, 3, 3, 3),
                layer("Conv2d stride 2 padding 1", () -> new Conv2d(3, 4, 3, conv().withStride(2).withPadding(1)),
                        2, 3, 7, 7),
                layer("Conv2d dilation 2 padding 2", () -> new Conv2d(2, 3, 3, conv().withDilation(2).withPadding(2)),
                        2, 2, 6, 6),
                layer("Conv2d groups 2", () -> new Conv2d(4, 6, 3, conv().withGroups(2).withPadding(1)), 2, 4, 5, 5),
                layer("Conv2d depthwise without bias", () -> new Conv2d(3, 3, 3, conv().withGroups(3).withBias(false)),
                        2, 3, 5, 5),
                layer("Conv2d reflect padding 2, 5x5 stride 2", () -> new Conv2d(3, 4, 5,
                        conv().withStride(2).withPadding(2).withPaddingMode(PadMode.REFLECT)), 2, 3, 9, 9),
                layer("Conv2d replicate padding 1", () -> new Conv2d(2, 3, 3,
                        conv().withPadding(1).withPaddingMode(PadMode.REPLICATE)), 2, 2, 5, 5),
                layer("BatchNorm1d train (N, C)", () -> new BatchNorm1d(3), 5, 3),
                layer("BatchNorm1d train (N, C, L)", () -> new BatchNorm1d(2), 3, 2, 4),
                layer("BatchNorm2d train", () -> new BatchNorm2d(3), 3, 3, 3, 3),
                layer("BatchNorm2d train, momentum None", () -> new BatchNorm2d(2,
                        new BatchNorm.Options(1e-5, null, true, true)), 2, 2, 3, 3),
                layer("BatchNorm2d train, affine=False", () -> new BatchNorm2d(2, noAffine), 3, 2, 3, 3),
                layer("BatchNorm2d eval, track_running_stats=False", () -> new BatchNorm2d(2, untracked).eval(),
                        3, 2, 3, 3),
                layer("BatchNorm2d eval with running statistics", () -> trainedThenEval(new BatchNorm2d(3),
                        4, 3, 3, 3), 2, 3, 3, 3),
                layer("MaxPool2d 2", () -> new MaxPool2d(2), 2, 2, 6, 6),
                layer("MaxPool2d 3 stride 2 padding 1", () -> new MaxPool2d(3, 2, 1), 2, 2, 7, 7),
                layer("AvgPool2d 2", () -> new AvgPool2d(2), 2, 2, 6, 6),
                layer("AvgPool2d 3 stride 2 padding 1", () -> new AvgPool2d(3, 2, 1), 2, 2, 7, 7),
                layer("AdaptiveAvgPool2d (2, 3) of 5x7", () -> new AdaptiveAvgPool2d(2, 3), 2, 2, 5, 7),
                layer("ReLU", ReLU::new, 3, 7),
                layer("Flatten", Flatten::new, 2, 3, 2, 2),
                layer("Sequential of layers", () -> new Sequential(
                        new Conv2d(2, 4, 3, conv().withPadding(1)),
                        new BatchNorm2d(4),
                        new ReLU(),
                        new MaxPool2d(2),
                        new Conv2d(4, 4, 3, conv().withPadding(1).withPaddingMode(PadMode.REFLECT)),
                        new AvgPool2d(2),
                        new Conv2d(4, 4, 1, conv().withGroups(2)),
                        new AdaptiveAvgPool2d(1, 1),
                        new Flatten(),
                        new Linear(4, 6),
                        new BatchNorm1d(6),
                        new ReLU(),
                        new Dropout(0.0),
                        new Linear(6, 3)), 3, 2, 8, 8));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void gradientsMatchFiniteDifferences(String name, Supplier<Module> build, long[] inputShape) {
        Torch.manualSeed(42);
        try (Module m = build.get()) {
            m.to(DType.FLOAT64);
            try (Tensor x = Tensor.randn(DType.FLOAT64, Device.CPU, inputShape)) {
                double worst = GradCheck.check(m, x, EPS, TOL);
                assertTrue(worst <= TOL, name + ": " + worst);
            }
        }
    }
}

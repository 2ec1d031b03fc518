package org.amdim.nn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;

import org.amdim.tensor.NoLeaks;
import org.amdim.nn.References;
import org.amdim.nn.io.NamedTensors;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Five Adam steps with the AMDIM training script's settings against {@code adam.safetensors} of every reference
 * set, with the settings of the file's metadata (amdim/src/test/resources/reference/README.md, section 4):
 * lr 2e-4, betas (0.8, 0.999), eps 1e-8, L2 weight decay 1e-5, gradients g1..g5 with scales from 1e-8 to 1e2,
 * zeros and a late-starting element. Parameters to abs 1e-6, moments to rel 1e-5.
 */
@ExtendWith(NoLeaks.class)
class AdamReferenceTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.amdim.nn.References#sets")
    void fiveStepsMatchTorchOptimAdam(String set) {
        try (NamedTensors ref = References.load(set, "adam.safetensors"); var scope = TensorScope.open()) {
            // The settings from the file's metadata: lr, betas "[b1, b2]", eps, weight decay.
            double lr = Double.parseDouble(ref.metadata().get("lr"));
            double[] betas = Arrays.stream(ref.metadata().get("betas").replaceAll("[\\[\\] ]", "").split(","))
                    .mapToDouble(Double::parseDouble).toArray();
            double eps = Double.parseDouble(ref.metadata().get("eps"));
            double weightDecay = Double.parseDouble(ref.metadata().get("weight_decay"));
            Tensor p = TensorScope.escape(ref.get("p0").clone()).requiresGrad(true);
            Adam.Options options = Adam.Options.adam().withBetas(betas[0], betas[1]).withEps(eps);
            try (p; Adam adam = new Adam(List.of(p), lr, weightDecay, options)) {
                for (int t = 1; t <= 5; t++) {
                    p.setGrad(ref.get("g" + t));
                    adam.step();
                    assertEquals(t, adam.step(0));
                    References.assertClose("p" + t, p, ref.get("p" + t), 1e-6, 0);
                    References.assertClose("m" + t, adam.expAvg(0), ref.get("m" + t), 0, 1e-5);
                    References.assertClose("v" + t, adam.expAvgSq(0), ref.get("v" + t), 0, 1e-5);
                }
            }
        }
    }
}

package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** toString reads like PyTorch's. */
@ExtendWith(NoLeaks.class)
class FormattingTest {

    @Test
    void smallTensorsPrintLikePyTorch() {
        try (var scope = TensorScope.open()) {
            assertEquals("tensor([[1., 2.],\n        [3., 4.]])", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).toString());
            assertEquals("tensor([0.5000, 1.2500])", Tensor.of(new float[] {0.5f, 1.25f}).toString());
            assertEquals("tensor([1, 2, 3])", Tensor.of(new long[] {1, 2, 3}).toString());
            assertEquals("tensor([ True, False])", Tensor.of(new boolean[] {true, false}).toString());
            assertEquals("tensor(3.)", Tensor.scalar(3).toString());
            assertEquals("tensor([1., 2.], dtype=torch.float64)", Tensor.of(new double[] {1, 2}).toString());
            assertEquals("tensor([1., 2.], requires_grad=True)",
                    Tensor.of(new float[] {1, 2}).requiresGrad(true).toString());
            assertEquals("tensor([], size=(0, 3))", Tensor.zeros(0, 3).toString());
            assertEquals("tensor([1.0000e-05, 1.0000e+00])", Tensor.of(new float[] {1e-5f, 1}).toString());
        }
    }

    @Test
    void largeTensorsAreSummarised() {
        try (var scope = TensorScope.open()) {
            String s = Tensor.arange(2000).toString();
            assertEquals("tensor([   0,    1,    2,  ..., 1997, 1998, 1999])", s);
        }
    }
}

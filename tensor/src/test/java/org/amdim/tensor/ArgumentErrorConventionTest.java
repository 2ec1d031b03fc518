package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Bad dimensions and counts throw the documented types (see {@link Tensor}'s "Errors"), whichever op checks them. */
@ExtendWith(NoLeaks.class)
class ArgumentErrorConventionTest {
    @Test
    void aBadDimensionIsAnIllegalArgument() {
        try (var scope = TensorScope.open()) {
            Tensor t = Tensor.zeros(2, 3);
            assertThrows(IllegalArgumentException.class, () -> t.size(2));
            assertThrows(IllegalArgumentException.class, () -> t.size(-3));
            assertThrows(IllegalArgumentException.class, () -> t.split(1, 5));
            // A long dimension must not wrap to a valid int one.
            assertThrows(IllegalArgumentException.class, () -> t.split(1, 1L << 32));
            assertEquals(3, t.size(-1));
            assertEquals(3, t.split(1, -1).size());
        }
    }

    @Test
    void countsOutsideTheIntRangeAreIllegalArgumentsOrWork() {
        try (var scope = TensorScope.open()) {
            Tensor t = Tensor.zeros(4);
            assertThrows(IllegalArgumentException.class, () -> t.chunk(Long.MIN_VALUE, 0));
            assertThrows(IllegalArgumentException.class, () -> t.chunk(0, 0));
            assertEquals(4, t.chunk(Integer.MAX_VALUE + 1L, 0).size(), "more chunks than elements: one each");
            assertEquals(1, t.split(Long.MAX_VALUE, 0).size());
        }
    }
}

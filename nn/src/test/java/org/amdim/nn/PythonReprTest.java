package org.amdim.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link PythonRepr} against values printed by CPython's {@code repr(float)}. */
class PythonReprTest {
    @ParameterizedTest(name = "repr({0}) = {1}")
    @CsvSource({
        "0.1, 0.1",
        "1.0, 1.0",
        "100.0, 100.0",
        "1e-5, 1e-05",
        "1e-4, 0.0001",
        "0.00012, 0.00012",
        "1.5e-5, 1.5e-05",
        "2e-4, 0.0002",
        "1e-8, 1e-08",
        "0.999, 0.999",
        "1234.5, 1234.5",
        "1e15, 1000000000000000.0",
        "1e16, 1e+16",
        "1.2345e20, 1.2345e+20",
        "1e100, 1e+100",
        "-0.5, -0.5",
        "-2.5e-7, -2.5e-07",
        "0.0, 0.0",
        "-0.0, -0.0",
        "0.30000000000000004, 0.30000000000000004",
        "5e-324, 5e-324",
        "NaN, nan",
        "Infinity, inf",
        "-Infinity, -inf"})
    void matchesCPython(double value, String expected) {
        assertEquals(expected, PythonRepr.of(value));
    }

    @org.junit.jupiter.api.Test
    void noneAndBooleans() {
        assertEquals("None", PythonRepr.of((Double) null));
        assertEquals("0.1", PythonRepr.of(Double.valueOf(0.1)));
        assertEquals("True", PythonRepr.of(true));
        assertEquals("False", PythonRepr.of(false));
    }
}

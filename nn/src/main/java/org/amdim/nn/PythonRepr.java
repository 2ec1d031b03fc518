package org.amdim.nn;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Python's {@code repr} of numbers and booleans, so that {@link Module#toString()} and optimizer descriptions
 * print hyper-parameters exactly as PyTorch does ({@code eps=1e-05}, {@code momentum=0.1}, {@code bias=True}).
 */
public final class PythonRepr {
    /** Python switches to exponent notation when the decimal point would sit at or before this position. */
    private static final int MIN_FIXED_DECPT = -3;
    /** ... or after this one ({@code repr(1e16)} is {@code '1e+16'}, {@code repr(1e15)} is not). */
    private static final int MAX_FIXED_DECPT = 16;

    private PythonRepr() {
    }

    /**
     * {@code repr(float(value))}: the shortest digits that read back as {@code value}, laid out by Python's rules: {@code 0.1},
     * {@code 1.0}, {@code 0.0001}, {@code 1e-05}, {@code 1e+16}, {@code nan}, {@code -inf}.
     */
    public static String of(double value) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        String sign = (Double.doubleToRawLongBits(value) < 0) ? "-" : "";
        if (value == 0) {
            return sign + "0.0";
        }
        BigDecimal exact = shortest(Math.abs(value));
        String digits = exact.unscaledValue().toString();
        // value = 0.DIGITS × 10^decpt, the position Python's formatter reasons with
        int decpt = digits.length() - exact.scale();
        StringBuilder sb = new StringBuilder(sign);
        if (decpt <= MIN_FIXED_DECPT - 1 || decpt > MAX_FIXED_DECPT) {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits, 1, digits.length());
            }
            int exponent = decpt - 1;
            sb.append('e').append(exponent < 0 ? '-' : '+');
            int abs = Math.abs(exponent);
            if (abs < 10) {
                sb.append('0');
            }
            return sb.append(abs).toString();
        }
        if (decpt <= 0) {
            sb.append("0.").append("0".repeat(-decpt)).append(digits);
        } else if (decpt >= digits.length()) {
            sb.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
        } else {
            sb.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
        }
        return sb.toString();
    }

    /**
     * The decimal with the fewest significant digits that reads back as {@code positive}, and of those the
     * closest, which is what Python prints. ({@link Double#toString(double)} may add a second digit for the
     * smallest subnormals, so it is not used.)
     */
    private static BigDecimal shortest(double positive) {
        BigDecimal exact = new BigDecimal(positive);
        for (int precision = 1; precision < 17; precision++) {
            BigDecimal rounded = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
            if (rounded.doubleValue() == positive) {
                return rounded.stripTrailingZeros();
            }
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }

    /** {@code repr} of an optional float: {@code None} for null. */
    public static String of(Double value) {
        return value == null ? "None" : of(value.doubleValue());
    }

    /** {@code True} or {@code False}. */
    public static String of(boolean value) {
        return value ? "True" : "False";
    }
}

package org.amdim.tools.bench;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a Java benchmark whose work a C++ benchmark of the same class repeats inside the shim; the summary
 * prints the Java/C++ score ratio for the pair (same parameters, same units).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface NativeTwin {
    /** The name of the C++ twin's {@code @Benchmark} method in the same class. */
    String value();
}

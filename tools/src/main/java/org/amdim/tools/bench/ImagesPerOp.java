package org.amdim.tools.bench;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a benchmark whose operation handles a number of images given by one of its {@code @Param}s (usually the
 * batch size); the summary converts its score to images per second. JMH's {@code @OperationsPerInvocation} cannot
 * do this, as it takes a constant and the batch is a parameter.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface ImagesPerOp {
    /** The name of the integer {@code @Param} field holding the images per operation. */
    String value();
}

/**
 * Drawing for the CLI's picture commands ({@code views}, {@code segment}, {@code plot}) with Java2D and
 * {@code javax.imageio} only, headless: undoing the input normalisation, tiling images into grids, component
 * colours, reading {@code metrics.csv}, tick placement and line charts, and writing PNG files.
 */
package org.amdim.tools.render;

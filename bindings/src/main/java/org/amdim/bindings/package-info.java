/**
 * The lowest layer: loading the native shim over libtorch and turning its errors into Java exceptions.
 *
 * <p>The shim is a small C ABI ({@code bindings/native/include/torch_shim.h}) implemented in C++ over
 * libtorch. Its Java bindings ({@code org.amdim.bindings.ffm.TorchShim}) are generated at build time from
 * that header, in jextract's layout, by {@link org.amdim.bindings.generator.FfmBindingsGenerator}.
 * Call {@link org.amdim.bindings.NativeLibrary#load()} before touching the generated class; the
 * {@code tensor} module does this for you.
 */
package org.amdim.bindings;

/**
 * The generator of the Java FFM bindings to the libtorch shim: it reads the shim's C header
 * ({@code bindings/native/include/torch_shim.h}) and writes {@code TorchShim$shared.java} and
 * {@code TorchShim.java} into {@code bindings/target/generated-sources/ffm}, in package
 * {@code org.amdim.bindings.ffm}.
 *
 * <h2>Why a generator of our own</h2>
 * The natural tool is jextract, but it cannot be obtained on the build machines (no package registry they
 * reach ships it). {@link org.amdim.bindings.generator.FfmBindingsGenerator} therefore produces <em>the same
 * layout</em> jextract (JDK 22+ generations, checked against jextract for JDK 25) produces for this header,
 * so that real jextract output is a drop-in replacement. The equivalent jextract command is:
 *
 * <pre>
 * jextract --output bindings/target/generated-sources/ffm --target-package org.amdim.bindings.ffm \
 *     --header-class-name TorchShim --library torchshim bindings/native/include/torch_shim.h
 * </pre>
 *
 * <p>The build runs the generator as a single-file source program in the {@code generate-sources} phase
 * (so it needs no prior compilation and may use only the JDK):
 *
 * <pre>
 * java FfmBindingsGenerator.java --header bindings/native/include/torch_shim.h \
 *     --output bindings/target/generated-sources/ffm --target-package org.amdim.bindings.ffm \
 *     --header-class-name TorchShim --library torchshim
 * </pre>
 *
 * <p>Output is deterministic, and a file is only rewritten when its content changes, so an unchanged header
 * costs no recompilation.
 *
 * <h2>What is generated</h2>
 * <ul>
 *   <li>{@code TorchShim$shared}: the C layouts from {@code Linker.nativeLinker().canonicalLayouts()}
 *       ({@code C_BOOL}, {@code C_CHAR}, {@code C_SHORT}, {@code C_INT}, {@code C_LONG_LONG}, {@code C_FLOAT},
 *       {@code C_DOUBLE}, {@code C_POINTER} targeting a byte sequence of {@code Long.MAX_VALUE} elements,
 *       {@code C_LONG}), the {@code TRACE_DOWNCALLS} switch (system property {@code jextract.trace.downcalls})
 *       and its {@code traceDowncall} helper.</li>
 *   <li>{@code TorchShim extends TorchShim$shared}: {@code LIBRARY_ARENA}, a {@code SYMBOL_LOOKUP} that tries
 *       {@code libtorchshim} (located like {@code dlopen} does, e.g. through {@code LD_LIBRARY_PATH}), then the
 *       class loader's libraries, then the C library; and, in header order, for each
 *       <ul>
 *         <li>function {@code R f(A a, ...)}: a private holder class {@code f} with {@code DESC}, {@code ADDR}
 *             and {@code HANDLE}, and {@code f$descriptor()}, {@code f$handle()}, {@code f$address()} and
 *             {@code f(a, ...)};</li>
 *         <li>opaque typedef {@code typedef struct x *name;}: {@code AddressLayout name = TorchShim.C_POINTER};</li>
 *         <li>integer macro {@code #define NAME 42}: a private constant and {@code int NAME()}.</li>
 *       </ul></li>
 * </ul>
 * Types map as jextract maps them on Linux x86_64: {@code int}→{@code int} ({@code C_INT}),
 * {@code int64_t}→{@code long} ({@code C_LONG}, because glibc defines {@code int64_t} as {@code long}),
 * {@code float}, {@code double}, {@code bool}→{@code boolean} ({@code C_BOOL}), and every pointer, including
 * {@code const char*} and the opaque handles, →{@code MemorySegment} ({@code C_POINTER}).
 * Client code uses {@code import static org.amdim.bindings.ffm.TorchShim.*;}.
 *
 * <h2>The header subset</h2>
 * The header is read as C (so {@code __cplusplus} is never defined) and must stay within this subset;
 * anything else fails the build with the file, line and text of the offending construct:
 * <ul>
 *   <li>comments of both kinds anywhere;</li>
 *   <li>preprocessor: {@code #include} and {@code #pragma} (ignored), {@code #ifdef}/{@code #ifndef}/{@code
 *       #else}/{@code #endif} (evaluated against the macros defined so far, which makes include guards and
 *       {@code #ifdef __cplusplus extern "C" { #endif} work), {@code #if 0}/{@code #if 1}, {@code #define NAME}
 *       without a value and function-like macros (no binding), and {@code #define NAME value} where value is an
 *       integer literal: decimal, hex or octal, optionally negative, optionally in parentheses, no suffix;</li>
 *   <li>{@code typedef struct tag *name;} declaring an opaque handle (before its first use);</li>
 *   <li>function declarations {@code R name(T1 p1, T2 p2);}, possibly over several lines, optionally
 *       {@code extern}, with every parameter named and {@code (void)} for no parameters;</li>
 *   <li>types: {@code void} (return type only), {@code bool}, {@code int}, {@code int64_t}, {@code float},
 *       {@code double}, the opaque handles, pointers to any of these at any depth with {@code const} anywhere,
 *       and {@code char} only as {@code const char *}.</li>
 * </ul>
 * Not supported (and rejected): structs, unions and enums by value or by tag, varargs, function pointers,
 * arrays, global variables, other typedefs, unsigned or other integer types, function definitions, and
 * declarations whose names would not compile in the generated code.
 */
package org.amdim.bindings.generator;

package org.amdim.bindings.generator;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.amdim.bindings.generator.FfmBindingsGenerator.BaseType;
import org.amdim.bindings.generator.FfmBindingsGenerator.CFunction;
import org.amdim.bindings.generator.FfmBindingsGenerator.CParam;
import org.amdim.bindings.generator.FfmBindingsGenerator.CType;
import org.amdim.bindings.generator.FfmBindingsGenerator.Declaration;
import org.amdim.bindings.generator.FfmBindingsGenerator.GenerationResult;
import org.amdim.bindings.generator.FfmBindingsGenerator.HeaderModel;
import org.amdim.bindings.generator.FfmBindingsGenerator.HeaderSyntaxException;
import org.amdim.bindings.generator.FfmBindingsGenerator.IntConstant;
import org.amdim.bindings.generator.FfmBindingsGenerator.OpaqueTypedef;
import org.amdim.bindings.generator.FfmBindingsGenerator.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tests the header parser, the emitter (by compiling what it emits) and the file handling of
 * {@link FfmBindingsGenerator}.
 */
class FfmBindingsGeneratorTest {

    /** Every construct of the subset: comments, guards, extern "C", an opaque handle, macros, each type. */
    private static final String SMALL_HEADER = """
            /* A small header in the supported subset.
               Its comments span lines. */
            #ifndef SMALL_H
            #define SMALL_H

            #include <stdbool.h>
            #include <stdint.h>

            #ifdef __cplusplus
            extern "C" {
            #endif

            typedef struct sm_handle_s *sm_handle; // an opaque handle

            #define SM_ZERO 0
            #define SM_HEX 0x1F
            #define SM_NEGATIVE -3
            #define SM_PAREN (-7)
            #define SM_BIG 4294967296
            #define SM_FLAG
            #define SM_MAX(a, b) ((a) > (b) ? (a) : (b))

            void sm_noop(void);
            bool sm_is_ready(void);
            int sm_add(int a, int b);
            int64_t sm_count(sm_handle h);
            float sm_scale(float x, double factor);
            double sm_mean(const double *values, int64_t n);
            const char *sm_name(sm_handle h);
            void *sm_data(sm_handle h);
            sm_handle sm_create(const int64_t *shape,
                                int ndim,   /* a comment inside */
                                bool pinned);
            int sm_split(sm_handle h, sm_handle *out, int capacity);
            int sm_keywords(int new, double class);

            #ifdef __cplusplus
            }
            #endif

            #endif /* SMALL_H */
            """;

    private static final String PACKAGE = "org.example.small";

    // ---- parsing ----------------------------------------------------------------------------------------------

    @Test
    void parsesEveryConstructOfTheSubset() {
        HeaderModel model = FfmBindingsGenerator.parse(SMALL_HEADER, "small.h");

        assertEquals("small.h", model.fileName());
        assertEquals(List.of("sm_handle", "SM_ZERO", "SM_HEX", "SM_NEGATIVE", "SM_PAREN", "SM_BIG", "sm_noop",
                        "sm_is_ready", "sm_add", "sm_count", "sm_scale", "sm_mean", "sm_name", "sm_data", "sm_create",
                        "sm_split", "sm_keywords"),
                model.declarations().stream().map(Declaration::name).toList(), "declarations in source order");

        assertEquals(List.of(
                new OpaqueTypedef("sm_handle", "sm_handle_s", "typedef struct sm_handle_s *sm_handle", 13)),
                model.typedefs());
        assertEquals(List.of(
                new IntConstant("SM_ZERO", 0, false, "#define SM_ZERO 0", 15),
                new IntConstant("SM_HEX", 31, false, "#define SM_HEX 0x1F", 16),
                new IntConstant("SM_NEGATIVE", -3, false, "#define SM_NEGATIVE -3", 17),
                new IntConstant("SM_PAREN", -7, false, "#define SM_PAREN (-7)", 18),
                new IntConstant("SM_BIG", 4294967296L, true, "#define SM_BIG 4294967296", 19)),
                model.constants());

        Map<String, CFunction> functions = byName(model);
        CType handle = new CType(BaseType.OPAQUE, 0, false, "sm_handle");
        assertEquals(new CFunction("sm_noop", new CType(BaseType.VOID, 0, false, null), List.of(),
                "void sm_noop(void)", 23), functions.get("sm_noop"));
        assertEquals(new CType(BaseType.BOOL, 0, false, null), functions.get("sm_is_ready").returnType());
        assertEquals(List.of(new CParam("a", new CType(BaseType.INT, 0, false, null)),
                new CParam("b", new CType(BaseType.INT, 0, false, null))), functions.get("sm_add").params());
        assertEquals(new CType(BaseType.INT64, 0, false, null), functions.get("sm_count").returnType());
        assertEquals(List.of(new CParam("h", handle)), functions.get("sm_count").params());
        assertEquals(new CType(BaseType.FLOAT, 0, false, null), functions.get("sm_scale").returnType());
        assertEquals(new CType(BaseType.DOUBLE, 1, true, null), functions.get("sm_mean").params().getFirst().type());
        assertEquals(new CType(BaseType.CHAR, 1, true, null), functions.get("sm_name").returnType());
        assertEquals(new CType(BaseType.VOID, 1, false, null), functions.get("sm_data").returnType());
        assertEquals(new CType(BaseType.OPAQUE, 1, false, "sm_handle"),
                functions.get("sm_split").params().get(1).type());
        assertEquals(List.of("new", "class"),
                functions.get("sm_keywords").params().stream().map(CParam::name).toList());

        CFunction create = functions.get("sm_create");
        assertEquals(handle, create.returnType());
        assertEquals(31, create.line());
        assertEquals("sm_handle sm_create(const int64_t *shape, int ndim, bool pinned)", create.declaration(),
                "a multi-line declaration is shown on one line, comments removed");
    }

    @Test
    void mapsTypesAsJextractDoesOnLinux() {
        Map<String, CFunction> functions = byName(FfmBindingsGenerator.parse(SMALL_HEADER, "small.h"));
        assertEquals("long", functions.get("sm_count").returnType().javaType());
        assertEquals("C_LONG", functions.get("sm_count").returnType().layoutName(), "int64_t is `long` on LP64 Linux");
        assertEquals("boolean", functions.get("sm_is_ready").returnType().javaType());
        assertEquals("C_BOOL", functions.get("sm_is_ready").returnType().layoutName());
        assertEquals("float", functions.get("sm_scale").returnType().javaType());
        assertEquals("C_FLOAT", functions.get("sm_scale").returnType().layoutName());
        assertEquals("MemorySegment", functions.get("sm_name").returnType().javaType());
        assertEquals("C_POINTER", functions.get("sm_create").returnType().layoutName());
        assertEquals("MemorySegment", functions.get("sm_count").params().getFirst().type().javaType());
        assertEquals("const char *", functions.get("sm_name").returnType().spelling());
        assertEquals("sm_handle *", functions.get("sm_split").params().get(1).type().spelling());
    }

    /** A malformed header, the line the error must name, and a fragment of the reason. */
    static Stream<Arguments> malformedHeaders() {
        return Stream.of(
                Arguments.of("struct by value", "int ok(void);\ndouble distance(struct point p);\n", 2,
                        "struct types are not supported"),
                Arguments.of("varargs", "typedef struct s_s *s;\n\nint log_it(const char *format, ...);\n", 3,
                        "variadic functions are not supported"),
                Arguments.of("unknown type", "#include <stddef.h>\nsize_t length(const char *text);\n", 2,
                        "unknown type 'size_t'"),
                Arguments.of("missing semicolon", "int first(int a)\nint second(void);\n", 1,
                        "missing ';' after the declaration of first"),
                Arguments.of("missing semicolon at the end", "int ok(void);\n\nint last(int a)\n", 3,
                        "missing ';' after the declaration of last"),
                Arguments.of("unsupported macro value", "#define SCALE 1.5\n", 1, "unsupported value of macro SCALE"),
                Arguments.of("unsigned macro", "\n#define MASK 0xFFFFFFFF\n", 2, "unsigned int"),
                Arguments.of("macro with a suffix", "#define BIG 10L\n", 1, "unsupported value of macro BIG"),
                Arguments.of("unterminated comment", "int ok(void);\n/* never closed\nint f(void);\n", 2,
                        "unterminated /* comment"),
                Arguments.of("#ifdef without #endif", "#ifdef FOO\nint f(void);\n", 1, "without a matching #endif"),
                Arguments.of("#if with an expression", "#if defined(FOO) && BAR > 2\n#endif\n", 1,
                        "unsupported #if expression"),
                Arguments.of("function pointer", "int apply(int (*fn)(int), int x);\n", 1,
                        "function pointer parameters are not supported"),
                Arguments.of("empty parameter list", "int count();\n", 1, "write count(void)"),
                Arguments.of("unnamed parameter", "int twice(int);\n", 1, "every parameter must be named"),
                Arguments.of("array parameter", "int sum(int values[4]);\n", 1, "array parameters are not supported"),
                Arguments.of("global variable", "int counter;\n", 1, "global variables are not supported"),
                Arguments.of("struct definition", "typedef struct s_s {\n  int x;\n} *s;\n", 1,
                        "struct definitions are not supported"),
                Arguments.of("non-const char pointer", "char *mutable_name(void);\n", 1,
                        "char is only supported as 'const char *'"),
                Arguments.of("unsigned type", "unsigned int bits(void);\n", 1, "unsupported type 'unsigned'"),
                Arguments.of("duplicate declaration", "int f(void);\nint f(void);\n", 2, "duplicate declaration of f"),
                Arguments.of("extern C outside the guard", "extern \"C\" {\nint f(void);\n}\n", 1,
                        "must be inside #ifdef __cplusplus"),
                Arguments.of("function definition", "int f(void) { return 1; }\n", 1,
                        "function definitions are not supported"),
                Arguments.of("handle used before its typedef", "h make(void);\ntypedef struct h_s *h;\n", 1,
                        "unknown type 'h'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedHeaders")
    void rejectsConstructsOutsideTheSubsetNamingTheLine(String what, String header, int line, String reason) {
        var error = assertThrows(HeaderSyntaxException.class, () -> FfmBindingsGenerator.parse(header, "bad.h"));
        assertEquals(line, error.line(), () -> what + ": " + error.getMessage());
        assertTrue(error.getMessage().startsWith("bad.h:" + line + ": "), error::getMessage);
        assertTrue(error.reason().contains(reason), () -> what + ": " + error.getMessage());
    }

    @Test
    void errorMessageQuotesTheOffendingLine() {
        var error = assertThrows(HeaderSyntaxException.class,
                () -> FfmBindingsGenerator.parse("int ok(void);\n  size_t length(const char *text);  \n", "bad.h"));
        assertEquals("size_t length(const char *text);", error.sourceText());
        assertTrue(error.getMessage().endsWith("\n    size_t length(const char *text);"), error::getMessage);
    }

    @Test
    void rejectsNamesTheGeneratedCodeCannotUse() {
        for (String header : List.of("int C_INT(void);\n", "int clash(int ex);\n", "int size(int size);\n",
                "#define SYMBOL_LOOKUP 1\n", "int Small(void);\n")) {
            HeaderModel model = FfmBindingsGenerator.parse(header, "names.h");
            var error = assertThrows(HeaderSyntaxException.class,
                    () -> FfmBindingsGenerator.emit(model, PACKAGE, "Small", List.of()), header);
            assertEquals(1, error.line());
            assertTrue(error.getMessage().startsWith("names.h:1: "), error::getMessage);
        }
    }

    // ---- emitting ---------------------------------------------------------------------------------------------

    @Test
    void emitsSourcesThatCompileWithoutWarnings(@TempDir Path dir) throws Exception {
        Path header = write(dir.resolve("small.h"), SMALL_HEADER);
        Path sources = dir.resolve("src");
        GenerationResult result = FfmBindingsGenerator.generate(
                new Options(header, sources, PACKAGE, "Small", List.of("small")));

        Path packageDir = sources.resolve("org/example/small");
        assertEquals(List.of(packageDir.resolve("Small$shared.java"), packageDir.resolve("Small.java")),
                result.files());
        assertEquals(result.files(), result.written());
        assertNoDiagnostics(compile(sources, dir.resolve("classes")));

        String main = Files.readString(packageDir.resolve("Small.java"));
        String shared = Files.readString(packageDir.resolve("Small$shared.java"));
        for (String source : List.of(main, shared)) {
            assertTrue(source.startsWith("// Generated by FfmBindingsGenerator from small.h. Do not edit.\n"));
        }
        assertTrue(main.contains("public class Small extends Small$shared {"));
        assertTrue(main.contains("""
                    static final SymbolLookup SYMBOL_LOOKUP = SymbolLookup.libraryLookup(System.mapLibraryName("small"), LIBRARY_ARENA)
                            .or(SymbolLookup.loaderLookup())
                            .or(Linker.nativeLinker().defaultLookup());
                """), main);
        assertTrue(main.contains("""
                    private static class sm_count {
                        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
                            Small.C_LONG,
                            Small.C_POINTER
                        );

                        public static final MemorySegment ADDR = SYMBOL_LOOKUP.findOrThrow("sm_count");

                        public static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
                    }
                """), main);
        assertTrue(main.contains("""
                    /**
                     * Function descriptor for:
                     * {@snippet lang=c :
                     * int64_t sm_count(sm_handle h)
                     * }
                     */
                    public static FunctionDescriptor sm_count$descriptor() {
                """), main);
        assertTrue(main.contains("""
                    public static long sm_count(MemorySegment h) {
                        var mh$ = sm_count.HANDLE;
                        try {
                            if (TRACE_DOWNCALLS) {
                                traceDowncall("sm_count", h);
                            }
                            return (long) mh$.invokeExact(h);
                        } catch (Error | RuntimeException ex) {
                            throw ex;
                        } catch (Throwable ex$) {
                            throw new AssertionError("should not reach here", ex$);
                        }
                    }
                """), main);
        assertTrue(main.contains("public static final AddressLayout sm_handle = Small.C_POINTER;"));
        assertTrue(main.contains("private static final int SM_HEX = (int)31L;"));
        assertTrue(main.contains("private static final long SM_BIG = 4294967296L;"));
        assertTrue(main.contains("public static int sm_keywords(int new_, double class_) {"));
        assertTrue(main.contains("FunctionDescriptor DESC = FunctionDescriptor.ofVoid();"), "void f(void)");
        assertFalse(main.contains("SM_FLAG") || main.contains("SM_MAX"), "flags and function-like macros give nothing");
        assertTrue(shared.contains("""
                    public static final AddressLayout C_POINTER = ((AddressLayout) Linker.nativeLinker().canonicalLayouts().get("void*"))
                            .withTargetLayout(MemoryLayout.sequenceLayout(java.lang.Long.MAX_VALUE, C_CHAR));
                """), shared);
        assertTrue(shared.contains("static final boolean TRACE_DOWNCALLS = Boolean.getBoolean(\"jextract.trace.downcalls\");"));
        assertFalse(main.contains(" \n") || shared.contains(" \n"), "no trailing whitespace");
    }

    @Test
    void emittedApiHasJextractShapes(@TempDir Path dir) throws Exception {
        Path header = write(dir.resolve("small.h"), SMALL_HEADER);
        FfmBindingsGenerator.generate(new Options(header, dir.resolve("src"), PACKAGE, "Small", List.of("small")));
        assertNoDiagnostics(compile(dir.resolve("src"), dir.resolve("classes")));

        try (var loader = new URLClassLoader(new URL[] {dir.resolve("classes").toUri().toURL()})) {
            // Not initialised: initialising would look the (absent) library up.
            Class<?> main = Class.forName(PACKAGE + ".Small", false, loader);
            Class<?> shared = Class.forName(PACKAGE + ".Small$shared", false, loader);
            assertEquals(shared, main.getSuperclass());
            assertTrue(Modifier.isPublic(main.getModifiers()) && Modifier.isPublic(shared.getModifiers()));
            assertFalse(Modifier.isPublic(main.getDeclaredConstructor().getModifiers()));

            assertSignature(main, "sm_noop", void.class);
            assertSignature(main, "sm_is_ready", boolean.class);
            assertSignature(main, "sm_add", int.class, int.class, int.class);
            assertSignature(main, "sm_count", long.class, MemorySegment.class);
            assertSignature(main, "sm_scale", float.class, float.class, double.class);
            assertSignature(main, "sm_mean", double.class, MemorySegment.class, long.class);
            assertSignature(main, "sm_name", MemorySegment.class, MemorySegment.class);
            assertSignature(main, "sm_create", MemorySegment.class, MemorySegment.class, int.class, boolean.class);
            assertSignature(main, "sm_add$descriptor", FunctionDescriptor.class);
            assertSignature(main, "sm_add$handle", MethodHandle.class);
            assertSignature(main, "sm_add$address", MemorySegment.class);
            assertSignature(main, "SM_HEX", int.class);
            assertSignature(main, "SM_BIG", long.class);
            assertEquals(AddressLayout.class, main.getField("sm_handle").getType());
            assertEquals(AddressLayout.class, main.getField("C_POINTER").getType(), "inherited from $shared");

            Class<?> holder = Class.forName(PACKAGE + ".Small$sm_add", false, loader);
            assertTrue(Modifier.isPrivate(holder.getModifiers()) && Modifier.isStatic(holder.getModifiers()));
            assertEquals(List.of("ADDR", "DESC", "HANDLE"),
                    Stream.of(holder.getDeclaredFields()).map(f -> f.getName()).sorted().toList());
        }
    }

    @Test
    void functionsDifferingOnlyInCaseGetDistinctHolderClasses(@TempDir Path dir) throws Exception {
        Path header = write(dir.resolve("cases.h"), "int Scale(void);\nint scale(void);\n");
        FfmBindingsGenerator.generate(new Options(header, dir.resolve("src"), PACKAGE, "Cases", List.of()));
        String main = Files.readString(dir.resolve("src/org/example/small/Cases.java"));
        // Holder classes become class files Cases$Scale and Cases$scale$: distinct on case-insensitive disks.
        assertTrue(main.contains("private static class Scale {") && main.contains("private static class scale$ {"));
        assertTrue(main.contains("var mh$ = scale$.HANDLE;"));
        assertNoDiagnostics(compile(dir.resolve("src"), dir.resolve("classes")));
    }

    /** Generates bindings for a few C library functions and calls them: the emitted code really works. */
    @Test
    @EnabledOnOs(OS.LINUX)
    void emittedBindingsCallNativeCode(@TempDir Path dir) throws Exception {
        Path header = write(dir.resolve("libc_subset.h"), """
                int abs(int x);
                int64_t labs(int64_t x);
                double fabs(double x);
                int atoi(const char *text);
                """);
        // No --library: symbols come from the C library through the default lookup, as jextract would do.
        FfmBindingsGenerator.generate(new Options(header, dir.resolve("src"), PACKAGE, "LibC", List.of()));
        assertNoDiagnostics(compile(dir.resolve("src"), dir.resolve("classes")));

        try (var loader = new URLClassLoader(new URL[] {dir.resolve("classes").toUri().toURL()});
             var arena = Arena.ofConfined()) {
            Class<?> libc = Class.forName(PACKAGE + ".LibC", true, loader);
            assertEquals(5, libc.getMethod("abs", int.class).invoke(null, -5));
            assertEquals(7L, libc.getMethod("labs", long.class).invoke(null, -7L));
            assertEquals(2.5, libc.getMethod("fabs", double.class).invoke(null, -2.5));
            assertEquals(42, libc.getMethod("atoi", MemorySegment.class).invoke(null, arena.allocateFrom("42")));
        }
    }

    @Test
    void compilesTheRealHeader(@TempDir Path dir) throws Exception {
        // From the module (working directory bindings/) the relative path holds; elsewhere set the property.
        Path header = Path.of(System.getProperty("torchshim.header", "native/include/torch_shim.h"));
        assertTrue(Files.isRegularFile(header), () -> "no header at " + header.toAbsolutePath());

        HeaderModel model = FfmBindingsGenerator.parse(Files.readString(header), "torch_shim.h");
        assertEquals(List.of("ts_tensor", "ts_pg", "ts_fused_net"), model.typedefs().stream().map(OpaqueTypedef::name).toList());
        assertTrue(model.functions().size() > 100, "the shim declares well over a hundred functions");
        Map<String, CFunction> functions = byName(model);
        assertEquals(14, functions.get("ts_adam_step").params().size());
        assertEquals("const char *", functions.get("ts_last_error").returnType().spelling());
        assertEquals(6, model.constants().stream().filter(c -> c.name().equals("TS_DTYPE_FLOAT32"))
                .findFirst().orElseThrow().value());

        Path sources = dir.resolve("src");
        FfmBindingsGenerator.generate(new Options(header, sources, "org.amdim.bindings.ffm", "TorchShim",
                List.of("torchshim")));
        assertNoDiagnostics(compile(sources, dir.resolve("classes")));
        try (var loader = new URLClassLoader(new URL[] {dir.resolve("classes").toUri().toURL()})) {
            Class<?> shim = Class.forName("org.amdim.bindings.ffm.TorchShim", false, loader);
            assertSignature(shim, "ts_numel", long.class, MemorySegment.class);
            assertSignature(shim, "ts_cuda_is_available", boolean.class);
            assertSignature(shim, "ts_free", void.class, MemorySegment.class);
        }
    }

    // ---- files ------------------------------------------------------------------------------------------------

    @Test
    void outputIsDeterministic(@TempDir Path dir) throws Exception {
        Path header = write(dir.resolve("small.h"), SMALL_HEADER);
        GenerationResult first = FfmBindingsGenerator.generate(
                new Options(header, dir.resolve("one"), PACKAGE, "Small", List.of("small")));
        GenerationResult second = FfmBindingsGenerator.generate(
                new Options(header, dir.resolve("two"), PACKAGE, "Small", List.of("small")));
        assertEquals(2, first.files().size());
        for (int i = 0; i < first.files().size(); i++) {
            assertArrayEquals(Files.readAllBytes(first.files().get(i)), Files.readAllBytes(second.files().get(i)));
        }
        // The model and the emitted text do not depend on where the header lies.
        assertEquals(FfmBindingsGenerator.emit(FfmBindingsGenerator.parse(SMALL_HEADER, "small.h"), PACKAGE, "Small",
                        List.of("small")),
                FfmBindingsGenerator.emit(FfmBindingsGenerator.parse(SMALL_HEADER, "small.h"), PACKAGE, "Small",
                        List.of("small")));
    }

    @Test
    void rewritesOnlyFilesWhoseContentChanged(@TempDir Path dir) throws Exception {
        Path header = write(dir.resolve("small.h"), SMALL_HEADER);
        Options options = new Options(header, dir.resolve("src"), PACKAGE, "Small", List.of("small"));
        GenerationResult first = FfmBindingsGenerator.generate(options);
        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        for (Path file : first.files()) {
            Files.setLastModifiedTime(file, old);
        }

        GenerationResult again = FfmBindingsGenerator.generate(options);
        assertEquals(List.of(), again.written());
        for (Path file : first.files()) {
            assertEquals(old, Files.getLastModifiedTime(file), "an up-to-date file is not touched");
        }

        write(header, SMALL_HEADER.replace("void sm_noop(void);", "void sm_noop(void);\nint sm_extra(int x);"));
        GenerationResult changed = FfmBindingsGenerator.generate(options);
        Path packageDir = dir.resolve("src/org/example/small");
        assertEquals(List.of(packageDir.resolve("Small.java")), changed.written(),
                "a new function changes the header class, not the shared class");
        try (Stream<Path> files = Files.list(packageDir)) {
            assertEquals(List.of("Small$shared.java", "Small.java"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary files left");
        }
    }

    @Test
    void commandLineReportsErrorsWithStatus(@TempDir Path dir) throws Exception {
        Path good = write(dir.resolve("small.h"), SMALL_HEADER);
        Path bad = write(dir.resolve("bad.h"), "int ok(void);\nsize_t length(const char *text);\n");
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        try (var outStream = new PrintStream(out, true, UTF_8); var errStream = new PrintStream(err, true, UTF_8)) {
            assertEquals(0, FfmBindingsGenerator.run(new String[] {"--header", good.toString(), "--output",
                    dir.resolve("src").toString(), "--target-package", PACKAGE, "--header-class-name", "Small",
                    "--library", "small"}, outStream, errStream));
            assertTrue(Files.isRegularFile(dir.resolve("src/org/example/small/Small.java")));
            assertTrue(out.toString(UTF_8).contains("2 written"), out.toString(UTF_8));

            assertEquals(1, FfmBindingsGenerator.run(new String[] {bad.toString(), "--output",
                    dir.resolve("src2").toString()}, outStream, errStream));
            assertTrue(err.toString(UTF_8).contains("bad.h:2: unknown type 'size_t'"), err.toString(UTF_8));

            assertEquals(2, FfmBindingsGenerator.run(new String[] {"--header", good.toString()}, outStream, errStream));
            assertEquals(2, FfmBindingsGenerator.run(new String[] {"--bogus"}, outStream, errStream));
        }
        assertEquals("small_h", Options.parse(good.toString(), "--output", "x").headerClassName(),
                "jextract's default class name");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static Map<String, CFunction> byName(HeaderModel model) {
        return model.functions().stream().collect(Collectors.toMap(CFunction::name, f -> f));
    }

    private static Path write(Path file, String text) throws IOException {
        return Files.writeString(file, text, UTF_8);
    }

    private static void assertSignature(Class<?> type, String name, Class<?> returnType, Class<?>... params)
            throws NoSuchMethodException {
        Method method = type.getMethod(name, params);
        assertEquals(returnType, method.getReturnType(), name);
        assertTrue(Modifier.isStatic(method.getModifiers()), name);
    }

    /** Compiles every source under {@code sourceRoot} as the build does; returns the errors and warnings. */
    private static List<Diagnostic<? extends JavaFileObject>> compile(Path sourceRoot, Path classes)
            throws IOException {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertNotNull(compiler, "the tests need a JDK, not a JRE");
        var diagnostics = new DiagnosticCollector<JavaFileObject>();
        Files.createDirectories(classes);
        try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, Locale.ROOT, UTF_8);
             Stream<Path> walk = Files.walk(sourceRoot)) {
            List<Path> sources = walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
            // -Xdoclint checks that the generated Javadoc (the C snippets) is well formed.
            List<String> options = List.of("--release", "25", "-Xlint:all", "-Xdoclint:all,-missing",
                    "-d", classes.toString());
            compiler.getTask(null, files, diagnostics, options, null, files.getJavaFileObjectsFromPaths(sources))
                    .call();
        }
        return diagnostics.getDiagnostics().stream()
                .filter(d -> d.getKind() != Diagnostic.Kind.NOTE && d.getKind() != Diagnostic.Kind.OTHER)
                .toList();
    }

    private static void assertNoDiagnostics(List<Diagnostic<? extends JavaFileObject>> diagnostics) {
        assertEquals(List.of(), diagnostics.stream().map(d -> d.getKind() + " " + (d.getSource() == null ? "" : d.getSource().getName()) + ":"
                + d.getLineNumber() + ": " + d.getMessage(Locale.ROOT)).toList());
    }
}

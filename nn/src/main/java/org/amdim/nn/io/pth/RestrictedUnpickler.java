package org.amdim.nn.io.pth;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader that builds only what a PyTorch state dict is made of, and never runs anything.
 *
 * <p>Python's own unpickler imports and calls whatever globals a pickle names, which is why loading an untrusted
 * {@code .pth} file in Python can run arbitrary code. This one is a plain stack machine over the binary opcodes of
 * protocols 2 to 4 that yields Java values:
 * <ul>
 *   <li>None → {@code null}; bool → {@link Boolean}; int → {@link Long}, or {@link BigInteger} beyond 64 bits;
 *       float → {@link Double}; str → {@link String};</li>
 *   <li>list → {@link ArrayList}; tuple → {@link PickleTuple}; dict and {@code collections.OrderedDict} →
 *       {@link LinkedHashMap} (insertion order kept; keys must be None, bool, int, float or str);</li>
 *   <li>{@code torch._utils._rebuild_tensor_v2} / {@code _rebuild_tensor} → {@link TensorRef}, a validated view of
 *       a storage; persistent ids go to the caller's {@link PersistentLoader}, which returns {@link StorageRef}s.</li>
 * </ul>
 * The only globals a pickle may name are {@code collections.OrderedDict}, those two rebuild functions and the
 * {@code torch.*Storage} classes (as storage types inside persistent ids); any other global, and the opcodes that
 * instantiate arbitrary classes ({@code INST}, {@code OBJ}, {@code NEWOBJ}, {@code NEWOBJ_EX}, the extension
 * registry), raise {@link UnsafePickleException} as soon as they are read. {@code REDUCE} calls only the allowed
 * functions, with checked arguments; {@code BUILD} is accepted only on dicts (it sets an {@code OrderedDict}'s
 * {@code _metadata}, which is dropped).
 *
 * <p>Bounds: at most {@link #MAX_OPERATIONS} opcodes per pickle, strings of at most {@link #MAX_STRING_BYTES},
 * integers of at most {@link #MAX_INT_BYTES}; lengths are checked against the bytes that remain. Nothing recurses
 * over the pickled structure, so deep nesting cannot overflow the Java stack.
 */
public final class RestrictedUnpickler {
    /** Opcodes per pickle; a state dict needs about 25 per tensor, so this allows some 80 000 tensors. */
    public static final long MAX_OPERATIONS = 2_000_000;
    /** The longest string accepted: state-dict keys and hyper-parameter names are short. */
    public static final int MAX_STRING_BYTES = 1 << 20;
    /** The widest integer accepted ({@code LONG1}/{@code LONG4}); PyTorch's magic number takes 10 bytes. */
    public static final int MAX_INT_BYTES = 64;
    private static final int MAX_GLOBAL_LINE = 256;

    private static final String REBUILD_MODULE = "torch._utils";
    private static final PickleGlobal ORDERED_DICT = new PickleGlobal("collections", "OrderedDict");
    private static final PickleGlobal REBUILD_TENSOR_V2 = new PickleGlobal(REBUILD_MODULE, "_rebuild_tensor_v2");
    private static final PickleGlobal REBUILD_TENSOR = new PickleGlobal(REBUILD_MODULE, "_rebuild_tensor");
    private static final Set<PickleGlobal> CALLABLE = Set.of(ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_TENSOR);

    /** Resolves a persistent id (PyTorch: a tuple naming a storage) to a value. */
    @FunctionalInterface
    public interface PersistentLoader {
        /**
         * The value a persistent id stands for.
         *
         * @param pid the unpickled id
         * @throws IOException (a {@link PthFormatException}) when the id is not acceptable
         */
        Object load(Object pid) throws IOException;
    }

    private final PickleInput in;
    private final PersistentLoader persistent;
    private final List<Object> stack = new ArrayList<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private RestrictedUnpickler(PickleInput in, PersistentLoader persistent) {
        this.in = in;
        this.persistent = persistent;
    }

    /**
     * Reads one pickle (up to and including its {@code STOP}) and returns its value.
     *
     * @param in         the bytes; left positioned just after the {@code STOP}
     * @param persistent resolves persistent ids; a pickle with one and a loader that refuses it fails
     * @throws UnsafePickleException when the pickle names a global or opcode outside the allow-list
     * @throws PthFormatException    when it is malformed, truncated or exceeds a bound
     */
    static Object load(PickleInput in, PersistentLoader persistent) throws IOException {
        return new RestrictedUnpickler(in, persistent).run();
    }

    /** The storage dtype named by a storage class global, e.g. {@code torch.FloatStorage} → FLOAT32; null if none. */
    static org.amdim.tensor.DType storageDType(PickleGlobal g) {
        if (!"torch".equals(g.module())) {
            return null;
        }
        return switch (g.name()) {
            case "FloatStorage" -> org.amdim.tensor.DType.FLOAT32;
            case "DoubleStorage" -> org.amdim.tensor.DType.FLOAT64;
            case "HalfStorage" -> org.amdim.tensor.DType.FLOAT16;
            case "BFloat16Storage" -> org.amdim.tensor.DType.BFLOAT16;
            case "LongStorage" -> org.amdim.tensor.DType.INT64;
            case "IntStorage" -> org.amdim.tensor.DType.INT32;
            case "ShortStorage" -> org.amdim.tensor.DType.INT16;
            case "CharStorage" -> org.amdim.tensor.DType.INT8;
            case "ByteStorage" -> org.amdim.tensor.DType.UINT8;
            case "BoolStorage" -> org.amdim.tensor.DType.BOOL;
            default -> null;
        };
    }

    private Object run() throws IOException {
        long ops = 0;
        while (true) {
            if (++ops > MAX_OPERATIONS) {
                throw error("more than " + MAX_OPERATIONS + " opcodes; not a state dict this reader accepts");
            }
            long at = in.position();
            int op = in.readByte();
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = in.readByte();
                    if (proto > 5) {
                        throw error("pickle protocol " + proto + " is newer than any Python writes");
                    }
                }
                case 0x95 -> in.readLittleEndian(8); // FRAME: only a read-ahead hint
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw error("STOP at offset " + at + " with " + stack.size() + " values and "
                                + marks.size() + " marks on the stack (expected exactly one value)");
                    }
                    return stack.get(0);
                }
                case '(' -> marks.push(stack.size()); // MARK
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) (int) in.readLittleEndian(4)); // BININT, signed
                case 'K' -> push((long) in.readByte()); // BININT1
                case 'M' -> push(in.readLittleEndian(2)); // BININT2
                case 0x8a -> push(readLong(in.readByte())); // LONG1
                case 0x8b -> push(readLong(in.readLittleEndian(4))); // LONG4
                case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(in.readLittleEndian(8)))); // big-endian
                case 'X' -> push(readString(in.readLittleEndian(4))); // BINUNICODE
                case 0x8c -> push(readString(in.readByte())); // SHORT_BINUNICODE
                case 0x8d -> push(readString(in.readLittleEndian(8))); // BINUNICODE8
                case 'U' -> push(readLatin1(in.readByte())); // SHORT_BINSTRING (Python 2 str)
                case 'T' -> push(readLatin1(in.readLittleEndian(4))); // BINSTRING
                case ')' -> push(new PickleTuple(List.of()));
                case 't' -> push(new PickleTuple(popMark()));
                case 0x85, 0x86, 0x87 -> { // TUPLE1..3
                    int n = op - 0x84;
                    List<Object> items = new ArrayList<>(pop(n));
                    push(new PickleTuple(items));
                }
                case ']' -> push(new ArrayList<>());
                case 'l' -> push(new ArrayList<>(popMark())); // LIST
                case 'a' -> { // APPEND
                    Object v = pop();
                    list(peek(), "APPEND").add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    list(peek(), "APPENDS").addAll(items);
                }
                case '}' -> push(new LinkedHashMap<>());
                case 'd' -> { // DICT
                    List<Object> items = popMark();
                    Map<Object, Object> m = new LinkedHashMap<>();
                    putAll(m, items);
                    push(m);
                }
                case 's' -> { // SETITEM
                    Object v = pop();
                    Object k = pop();
                    dict(peek(), "SETITEM").put(key(k), v);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    putAll(dict(peek(), "SETITEMS"), items);
                }
                case 'q' -> memo.put((long) in.readByte(), peek()); // BINPUT
                case 'r' -> memo.put(in.readLittleEndian(4), peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'h' -> push(memoGet(in.readByte())); // BINGET
                case 'j' -> push(memoGet(in.readLittleEndian(4))); // LONG_BINGET
                case 'c' -> push(allowGlobal(readLine(), readLine())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error("STACK_GLOBAL needs two strings, got " + typeName(module) + " and "
                                + typeName(name));
                    }
                    push(allowGlobal(m, n));
                }
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object fn = pop();
                    push(reduce(fn, args));
                }
                case 'b' -> { // BUILD
                    Object state = pop();
                    Object target = peek();
                    if (!(target instanceof Map<?, ?>) || !(state instanceof Map<?, ?>)) {
                        throw new UnsafePickleException(in.source(), "BUILD (sets an object's state) on a "
                                + typeName(target) + " with a " + typeName(state)
                                + " at offset " + at + "; only an OrderedDict's attributes may be set");
                    }
                    // An OrderedDict's state is its __dict__, i.e. the state dict's _metadata: not needed.
                }
                case 'Q' -> push(persistent.load(pop())); // BINPERSID
                case 'i', 'o', 0x81, 0x92, 0x82, 0x83, 0x84 -> throw new UnsafePickleException(in.source(),
                        "opcode " + opcodeName(op) + " at offset " + at + " would instantiate an arbitrary class;"
                                + " refused");
                default -> throw error(String.format("unsupported pickle opcode 0x%02x ('%s') at offset %d;"
                        + " PyTorch state dicts do not use it", op, printable(op), at));
            }
        }
    }

    private Object allowGlobal(String module, String name) throws UnsafePickleException {
        PickleGlobal g = new PickleGlobal(module, name);
        if (CALLABLE.contains(g) || storageDType(g) != null) {
            return g;
        }
        throw new UnsafePickleException(in.source(), "refused global '" + module + "." + name
                + "': only collections.OrderedDict, torch._utils._rebuild_tensor(_v2) and torch.*Storage types"
                + " may appear in a state dict, so nothing a checkpoint names can run");
    }

    private Object reduce(Object fn, Object args) throws IOException {
        if (!(fn instanceof PickleGlobal g) || !CALLABLE.contains(g)) {
            throw new UnsafePickleException(in.source(), "REDUCE (a call) of a " + typeName(fn)
                    + "; only collections.OrderedDict and torch._utils._rebuild_tensor(_v2) may be called");
        }
        if (!(args instanceof PickleTuple t)) {
            throw error("the arguments of " + g + " must be a tuple, got " + typeName(args));
        }
        if (g.equals(ORDERED_DICT)) {
            if (t.size() != 0) {
                throw error("collections.OrderedDict called with " + t.size() + " argument(s); a state dict"
                        + " creates it empty");
            }
            return new LinkedHashMap<>();
        }
        int expected = g.equals(REBUILD_TENSOR) ? 4 : 6;
        if (t.size() != expected && !(g.equals(REBUILD_TENSOR_V2) && t.size() == 7)) {
            throw error(g + " called with " + t.size() + " arguments, expected " + expected);
        }
        if (!(t.get(0) instanceof StorageRef storage)) {
            throw error(g + ": the first argument must be a storage (a persistent id), got " + typeName(t.get(0)));
        }
        long offset = integer(t.get(1), g + " storage offset");
        long[] size = longs(t.get(2), g + " size");
        long[] stride = longs(t.get(3), g + " stride");
        if (expected == 6) {
            if (!(t.get(4) instanceof Boolean)) {
                throw error(g + ": requires_grad must be a bool, got " + typeName(t.get(4)));
            }
            if (!(t.get(5) instanceof Map<?, ?> hooks) || !hooks.isEmpty()) {
                throw error(g + ": backward hooks must be an empty dict, got " + typeName(t.get(5)));
            }
            if (t.size() == 7 && t.get(6) != null && !(t.get(6) instanceof Map<?, ?> meta && meta.isEmpty())) {
                throw error(g + ": tensor metadata must be None or empty, got " + typeName(t.get(6)));
            }
        }
        try {
            return new TensorRef(storage, offset, size, stride);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    private long integer(Object v, String what) throws PthFormatException {
        if (v instanceof Long l) {
            return l;
        }
        throw error(what + " must be a 64-bit integer, got " + typeName(v));
    }

    private long[] longs(Object v, String what) throws PthFormatException {
        if (!(v instanceof PickleTuple t)) {
            throw error(what + " must be a tuple of integers, got " + typeName(v));
        }
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(t.get(i), what + "[" + i + "]");
        }
        return out;
    }

    private Object readLong(long n) throws IOException {
        byte[] le = in.readBytes(n, MAX_INT_BYTES, "an integer");
        if (le.length == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String readString(long n) throws IOException {
        byte[] b = in.readBytes(n, MAX_STRING_BYTES, "a string");
        var decoder = StandardCharsets.UTF_8.newDecoder();
        try {
            return decoder.decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw error("a string at offset " + in.position() + " is not valid UTF-8");
        }
    }

    private String readLatin1(long n) throws IOException {
        return new String(in.readBytes(n, MAX_STRING_BYTES, "a string"), StandardCharsets.ISO_8859_1);
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = in.readByte();
            if (b == '\n') {
                return sb.toString();
            }
            if (b < 0x20 || b > 0x7e || sb.length() >= MAX_GLOBAL_LINE) {
                throw error("malformed GLOBAL name at offset " + in.position());
            }
            sb.append((char) b);
        }
    }

    private Object memoGet(long index) throws PthFormatException {
        if (!memo.containsKey(index)) {
            throw error("memo entry " + index + " is read before it is written");
        }
        return memo.get(index);
    }

    private void putAll(Map<Object, Object> m, List<Object> items) throws PthFormatException {
        if (items.size() % 2 != 0) {
            throw error("a dict needs key/value pairs, got " + items.size() + " items");
        }
        for (int i = 0; i < items.size(); i += 2) {
            m.put(key(items.get(i)), items.get(i + 1));
        }
    }

    /** Keys are scalars only: hashing a container that contains itself would never end. */
    private Object key(Object k) throws PthFormatException {
        if (k == null || k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Double
                || k instanceof Boolean) {
            return k;
        }
        throw error("a dict key must be None, bool, int, float or str, got " + typeName(k));
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object v, String op) throws PthFormatException {
        if (v instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw error(op + " on a " + typeName(v) + ", not a list");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object v, String op) throws PthFormatException {
        if (v instanceof LinkedHashMap<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw error(op + " on a " + typeName(v) + ", not a dict");
    }

    private void push(Object v) {
        stack.add(v);
    }

    private Object peek() throws PthFormatException {
        if (stack.isEmpty() || (!marks.isEmpty() && marks.peek() == stack.size())) {
            throw error("stack underflow at offset " + in.position());
        }
        return stack.get(stack.size() - 1);
    }

    private Object pop() throws PthFormatException {
        Object v = peek();
        stack.remove(stack.size() - 1);
        return v;
    }

    private List<Object> pop(int n) throws PthFormatException {
        int floor = marks.isEmpty() ? 0 : marks.peek();
        if (stack.size() - floor < n) {
            throw error("stack underflow at offset " + in.position());
        }
        List<Object> tail = stack.subList(stack.size() - n, stack.size());
        List<Object> out = new ArrayList<>(tail);
        tail.clear();
        return out;
    }

    private List<Object> popMark() throws PthFormatException {
        if (marks.isEmpty()) {
            throw error("an opcode at offset " + in.position() + " needs a MARK, and there is none");
        }
        int from = marks.pop();
        List<Object> tail = stack.subList(from, stack.size());
        List<Object> out = new ArrayList<>(tail);
        tail.clear();
        return out;
    }

    private PthFormatException error(String problem) {
        return new PthFormatException(in.source(), problem);
    }

    /** A Python-style type name for messages; never the value itself, which may be huge or self-referential. */
    static String typeName(Object v) {
        return switch (v) {
            case null -> "None";
            case Boolean b -> "bool";
            case Long l -> "int";
            case BigInteger b -> "int";
            case Double d -> "float";
            case String s -> "str";
            case PickleTuple t -> "tuple";
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case PickleGlobal g -> "global " + g;
            case StorageRef s -> "storage";
            case TensorRef t -> "tensor";
            default -> v.getClass().getSimpleName();
        };
    }

    private static String opcodeName(int op) {
        return switch (op) {
            case 'i' -> "INST";
            case 'o' -> "OBJ";
            case 0x81 -> "NEWOBJ";
            case 0x92 -> "NEWOBJ_EX";
            default -> "EXT" + (op == 0x82 ? 1 : op == 0x83 ? 2 : 4);
        };
    }

    private static String printable(int op) {
        return op >= 0x20 && op < 0x7f ? Character.toString(op) : "?";
    }
}

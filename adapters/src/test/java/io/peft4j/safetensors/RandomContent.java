package io.peft4j.safetensors;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random safetensors content for property-style tests (seeded, so reproducible): a layout (names with characters that need JSON
 * escaping, every dtype, scalars and zero-size shapes), metadata, and a seed for the bytes.
 *
 * @param specs    the tensors, in the order they are handed to the writer
 * @param metadata the {@code __metadata__} map
 * @param seed     seeds each tensor's bytes
 */
record RandomContent(List<TensorSpec> specs, Map<String, String> metadata, long seed) {

    private static final String[] TOKENS = {"a", "b", "Z", "0", ".", "_", "-", "/", "é", "权", "😀", "\"", "\\", "\n",
        "\t", "\u0001", "\u007f", " ", "layers", "weight"};

    /** A random name of 1 to 5 tokens, never {@code __metadata__}. */
    static String name(Random rnd) {
        StringBuilder b = new StringBuilder();
        int parts = 1 + rnd.nextInt(5);
        for (int i = 0; i < parts; i++) {
            b.append(TOKENS[rnd.nextInt(TOKENS.length)]);
        }
        String name = b.toString();
        return name.equals("__metadata__") ? "x" + name : name;
    }

    /**
     * The dtypes of random tensors: those Python's {@code safetensors.torch} names and torch reads back
     * with the header's shape (F4's torch shape counts byte pairs, F6 has no torch type, and 0.8's
     * {@code _TYPES} has no F8_E8M0); {@code SafetensorsPythonInteropTest} checks the others on their own.
     */
    private static final DType[] DTYPES = java.util.Arrays.stream(DType.values())
            .filter(d -> d.bitSize() % 8 == 0 && d != DType.F8_E8M0).toArray(DType[]::new);

    /** A random tensor: any of {@link #DTYPES}, 0 to 3 dimensions of 0 to 4 elements. */
    static TensorSpec tensorSpec(Random rnd) {
        long[] shape = new long[rnd.nextInt(4)];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = rnd.nextInt(5);
        }
        return new TensorSpec(name(rnd), DTYPES[rnd.nextInt(DTYPES.length)], shape);
    }

    /** Random content: up to 12 uniquely named tensors and up to {@code maxMetadata} metadata entries. */
    static RandomContent random(Random rnd, int maxMetadata) {
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        int tensors = rnd.nextInt(13);
        for (int i = 0; i < tensors; i++) {
            TensorSpec spec = tensorSpec(rnd);
            specs.putIfAbsent(spec.name(), spec);
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        int entries = rnd.nextInt(maxMetadata + 1);
        for (int i = 0; i < entries; i++) {
            metadata.put(name(rnd), name(rnd));
        }
        return new RandomContent(List.copyOf(specs.values()), metadata, rnd.nextLong());
    }

    /** {@code count} random contents from a fixed seed, so every run tests the same cases. */
    static List<RandomContent> samples(long seed, int count, int maxMetadata) {
        Random rnd = new Random(seed);
        List<RandomContent> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(random(rnd, maxMetadata));
        }
        return out;
    }

    /** The bytes of tensor {@code spec}: random, BOOL limited to 0 and 1. */
    byte[] bytes(TensorSpec spec) {
        byte[] bytes = new byte[(int) spec.byteSize()];
        new Random(seed ^ spec.name().hashCode()).nextBytes(bytes);
        if (spec.dtype() == DType.BOOL) {
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] &= 1;
            }
        }
        return bytes;
    }

    /** Writes this content to {@code file}, tensors in a shuffled order. */
    void write(Path file) {
        List<TensorSpec> order = new ArrayList<>(specs);
        Collections.shuffle(order, new Random(seed));
        try (SafetensorsWriter out = SafetensorsWriter.create(file, specs, metadata)) {
            for (TensorSpec spec : order) {
                out.write(spec.name(), MemorySegment.ofArray(bytes(spec)));
            }
            out.commit();
        }
    }
}

package io.peft4j.safetensors;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Random safetensors content for property tests: a layout (names with characters that need JSON
 * escaping, every dtype, scalars and zero-size shapes), metadata, and a seed for the bytes.
 *
 * @param specs    the tensors, in the order they are handed to the writer
 * @param metadata the {@code __metadata__} map
 * @param seed     seeds each tensor's bytes
 */
record RandomContent(List<TensorSpec> specs, Map<String, String> metadata, long seed) {

    private static final String[] TOKENS = {"a", "b", "Z", "0", ".", "_", "-", "/", "é", "权", "😀", "\"", "\\", "\n",
        "\t", "\u0001", "\u007f", " ", "layers", "weight"};

    static Arbitrary<String> names() {
        return Arbitraries.of(TOKENS).list().ofMinSize(1).ofMaxSize(5).map(parts -> String.join("", parts))
                .filter(s -> !s.equals("__metadata__"));
    }

    static Arbitrary<TensorSpec> tensorSpecs() {
        Arbitrary<long[]> shapes = Arbitraries.longs().between(0, 4).list().ofMaxSize(3)
                .map(l -> l.stream().mapToLong(Long::longValue).toArray());
        return Combinators.combine(names(), Arbitraries.of(DType.class), shapes).as(TensorSpec::new);
    }

    static Arbitrary<RandomContent> contents(int maxMetadata) {
        return Combinators.combine(
                tensorSpecs().list().ofMaxSize(12).uniqueElements(TensorSpec::name),
                Arbitraries.maps(names(), names()).ofMaxSize(maxMetadata),
                Arbitraries.longs()).as(RandomContent::new);
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

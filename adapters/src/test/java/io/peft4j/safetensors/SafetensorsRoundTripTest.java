package io.peft4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Writer and reader round trips over random layouts, dtypes, shapes, names and metadata. */
class SafetensorsRoundTripTest {

    private static Path dir;

    @BeforeAll
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("peft4j-roundtrip");
    }

    @AfterAll
    static void deleteDir() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static List<RandomContent> contents() {
        return RandomContent.samples(20261122L, 200, 4);
    }

    static List<RandomContent> fewerContents() {
        return RandomContent.samples(7L, 50, 4);
    }

    @ParameterizedTest
    @MethodSource("contents")
    void whatIsWrittenReadsBackIdentically(RandomContent content) {
        Path file = dir.resolve("rt.safetensors");
        content.write(file);
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            assertEquals(content.metadata(), in.metadata());
            assertEquals(content.specs().size(), in.tensors().size());
            Set<TensorSpec> read = new HashSet<>();
            long end = 0;
            for (TensorInfo info : in.tensors()) {
                read.add(TensorSpec.of(info));
                assertEquals(end, info.begin());
                end = info.end();
                TensorSpec spec = TensorSpec.of(info);
                assertArrayEquals(content.bytes(spec), in.tensor(info.name()).data().toArray(ValueLayout.JAVA_BYTE),
                        info.name());
            }
            assertEquals(new HashSet<>(content.specs()), read);
            assertEquals(0, in.dataStart() % 8, "header padded to a multiple of 8");
        } finally {
            delete(file);
        }
    }

    @ParameterizedTest
    @MethodSource("fewerContents")
    void writingIsDeterministicWhateverTheInputOrder(RandomContent content) throws IOException {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        content.write(a);
        new RandomContent(content.specs().reversed(), content.metadata(), content.seed()).write(b);
        try {
            assertTrue(Files.mismatch(a, b) == -1L);
        } finally {
            delete(a);
            delete(b);
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

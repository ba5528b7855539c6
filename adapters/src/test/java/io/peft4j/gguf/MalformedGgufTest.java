package io.peft4j.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.gguf.GgufFormatException.Rule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The malformed-GGUF corpus made by {@code make_malformed_gguf.py}: each file breaks one rule of
 * {@code valid.gguf} and must be refused at open with that rule and a one-line message naming the
 * file; {@code valid.gguf} itself opens with the values the script wrote.
 */
class MalformedGgufTest {

    static final Path CORPUS = Path.of("src/test/resources/gguf");

    static Stream<Arguments> corpus() throws IOException {
        JsonNode expected = new ObjectMapper().readTree(CORPUS.resolve("malformed/expected.json").toFile());
        List<Arguments> cases = new ArrayList<>();
        expected.properties().forEach(e -> cases.add(Arguments.of(e.getKey(), Rule.valueOf(e.getValue().get("rule").asText()))));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void eachMalformedFileIsRefusedWithItsRuleInOneLine(String name, Rule rule) {
        Path file = CORPUS.resolve("malformed").resolve(name);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(file).close());
        assertEquals(rule, e.rule(), e.getMessage());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void everyRuleHasAFile() throws IOException {
        Set<Rule> covered = EnumSet.noneOf(Rule.class);
        corpus().forEach(a -> covered.add((Rule) a.get()[1]));
        assertEquals(EnumSet.allOf(Rule.class), covered);
    }

    @Test
    void theValidFileOpensWithTheScriptsValues() {
        try (GgufFile file = GgufFile.open(CORPUS.resolve("valid.gguf"))) {
            assertEquals(3, file.version());
            assertEquals(32, file.alignment());
            assertEquals(List.of("general.architecture", "general.type", "adapter.type", "adapter.lora.alpha",
                    "general.quantization_version"), List.copyOf(file.metadata().keySet()));
            assertEquals(GgufValue.float32(16f), file.metadata().get("adapter.lora.alpha"));
            assertEquals(GgufValue.uint32(2), file.metadata().get("general.quantization_version"));
            GgufTensorInfo a = file.find("blk.0.attn_q.weight.lora_a").orElseThrow();
            assertArrayEquals(new long[] {2, 64}, a.shape());
            assertEquals(GgmlType.F32, a.type());
            float[] values = file.floats(a);
            for (int i = 0; i < values.length; i++) {
                assertEquals((float) (((i * 7919L + 104729L) % 2001 - 1000) / 4000.0), values[i], "element " + i);
            }
        }
    }

    @Test
    void aMissingFileOrADirectoryIsOneLine() {
        var missing = assertThrows(io.peft4j.core.Peft4jException.class, () -> GgufFile.open(CORPUS.resolve("nope.gguf")));
        assertEquals(CORPUS.resolve("nope.gguf") + ": no such file", missing.getMessage());
        var directory = assertThrows(io.peft4j.core.Peft4jException.class, () -> GgufFile.open(CORPUS));
        assertTrue(directory.getMessage().startsWith(CORPUS + ": cannot read"), directory.getMessage());
        assertTrue(Files.isDirectory(CORPUS));
    }
}

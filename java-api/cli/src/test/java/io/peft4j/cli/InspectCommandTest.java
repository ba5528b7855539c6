package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.core.Printable;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j inspect} on adapters, plain files and broken input, each in a process of its own ({@link CliRun}). */
class InspectCommandTest {

    static final Path FIXTURES = Path.of("../../adapters/src/test/resources");

    @Test
    void adapterSummaryAndJson() throws IOException {
        Path adapter = FIXTURES.resolve("peft/llama-patterns");
        CliRun human = CliRun.of("inspect", adapter.toString());
        assertEquals(0, human.exitCode(), human.err());
        assertTrue(human.out().contains("rank_pattern {v_proj=2}"), human.out());
        assertTrue(human.out().contains("1 x LINEAR r=4 scaling 8"), human.out());
        assertTrue(human.out().contains("trainable    608 parameters"), human.out());

        CliRun json = CliRun.of("inspect", adapter.toString(), "--json");
        JsonNode root = new ObjectMapper().readTree(json.out());
        assertEquals("adapter", root.get("kind").asText());
        assertEquals(12, root.get("tensorCount").asInt());
        JsonNode modules = root.get("adapter").get("modules");
        assertEquals(6, modules.size());
        for (JsonNode m : modules) {
            String name = m.get("module").asText();
            double expected = name.endsWith("v_proj") ? 4.0 : name.equals("model.layers.1.self_attn.q_proj") ? 8.0 : 2.0;
            assertEquals(expected, m.get("scaling").asDouble(), name);
        }
    }

    /** On a terminal the summary is printed too (it was lost: printed without a line end, never flushed before exit). */
    @Test
    void humanSummaryOnATerminal() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "no script(1) to make a pseudo-terminal");
        CliRun run = CliRun.onTerminal("inspect", FIXTURES.resolve("peft/llama-patterns").toString());
        assertEquals(0, run.exitCode(), run.out());
        assertTrue(run.out().contains("rank_pattern {v_proj=2}\r\n"), run.out());
        assertTrue(run.out().contains("trainable    608 parameters"), run.out());
    }

    @Test
    void everyRealAdapterInspects() throws IOException {
        Path real = Path.of("../../../shared/real-adapters");
        assumeTrue(Files.isDirectory(real), "shared/real-adapters/ is not beside this checkout; skipping");
        try (Stream<Path> dirs = Files.list(real)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                CliRun run = CliRun.of("inspect", dir.toString(), "--json");
                assertEquals(0, run.exitCode(), dir + ": " + run.err());
                JsonNode root = new ObjectMapper().readTree(run.out());
                assertTrue(root.get("adapter").get("modules").size() > 0, dir.toString());
                assertEquals("pt", root.get("metadata").get("format").asText());
            }
        }
    }

    @Test
    void plainSafetensorsFile() {
        CliRun run = CliRun.of("inspect", FIXTURES.resolve("peft/conv2d/adapter_model.safetensors").toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("safetensors  "), run.out());
        assertTrue(run.out().contains("base_model.model.conv.lora_A.weight"), run.out());
    }

    @Test
    void badInputIsOneLineOnStderr(@TempDir Path tmp) throws IOException {
        Path garbage = Files.writeString(tmp.resolve("bad.safetensors"), "this is not a safetensors file");
        for (String path : new String[] {garbage.toString(), tmp.resolve("missing").toString()}) {
            CliRun run = CliRun.of("inspect", path);
            assertEquals(Main.EXIT_FAILURE, run.exitCode());
            assertEquals(1, run.err().lines().count(), run.err());
            assertTrue(run.err().startsWith("peft4j inspect: "), run.err());
            assertTrue(run.err().contains(path), run.err());
            assertFalse(run.err().contains("\tat "), "no stack trace");
        }
    }

    /** A JVM of its own, as the launcher starts it: what a user at a terminal sees. */
    private static CliRun inspect(List<String> jvmOptions, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("inspect"));
        all.addAll(List.of(args));
        return CliRun.process(Duration.ofSeconds(90), jvmOptions, all.toArray(String[]::new));
    }

    private static void assertOneLine(CliRun run, String expected) {
        assertEquals(Main.EXIT_FAILURE, run.exitCode(), run.err());
        assertEquals(expected, run.err().strip());
        assertEquals(1, run.err().lines().count(), run.err());
    }

    @Test
    void aFifoIsRefusedInsteadOfWaitedOnForever(@TempDir Path tmp) throws Exception {
        Path fifo = tmp.resolve("weights.safetensors");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor(), "mkfifo");
        assertOneLine(inspect(List.of(), fifo.toString()),
                "peft4j inspect: " + fifo + ": not a regular file (a FIFO, socket or device); peft4j reads only regular files");
    }

    @Test
    void aHeaderNested200000DeepIsOneLineNotAStackTrace(@TempDir Path tmp) throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":"
                + "[".repeat(200_000) + "]".repeat(200_000) + "}}";
        Path file = tmp.resolve("deep.safetensors");
        Files.write(file, safetensors(header.getBytes(StandardCharsets.UTF_8), 4));
        CliRun run = inspect(List.of(), file.toString());
        assertOneLine(run, run.err().strip());
        assertTrue(run.err().startsWith("peft4j inspect: " + file + ": header is not valid JSON: arrays and objects nested 128 deep"),
                run.err());
    }

    @Test
    void runningOutOfMemoryIsOneLine(@TempDir Path tmp) throws Exception {
        byte[] header = new byte[40 << 20]; // valid JSON: an empty object padded with 40 MB of spaces
        java.util.Arrays.fill(header, (byte) ' ');
        header[0] = '{';
        header[header.length - 1] = '}';
        Path file = tmp.resolve("huge-header.safetensors");
        Files.write(file, safetensors(header, 0));
        assertOneLine(inspect(List.of("-Xmx32m"), file.toString()),
                "peft4j inspect: out of memory (Java heap space); give the JVM more with PEFT4J_JAVA_OPTS=-Xmx<size>");
    }

    @Test
    void namesFromTheFileCannotDriveTheTerminal(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("names.safetensors");
        String evil = "clear\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202ename\nline";
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(new TensorSpec(evil, DType.F32, new long[] {1})),
                Map.of("note\u001b[5m", "blink\u001b[0m"))) {
            w.write(evil, new float[] {1});
            w.commit();
        }
        CliRun human = CliRun.of("inspect", file.toString());
        assertEquals(0, human.exitCode(), human.err());
        assertTrue(human.out().contains("clear\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202ename\\nline"), human.out());
        assertTrue(human.out().contains("note\\x1b[5m=blink\\x1b[0m"), human.out());
        CliRun json = inspect(List.of(), file.toString(), "--json");
        assertTrue(json.out().contains("\"clear\\u001B[2J\\u001B]0;pwned\\u0007\\u009b31m\\u202ename\\nline\""), json.out());
        assertEquals(0, json.exitCode(), json.err());
        for (CliRun run : List.of(human, json)) {
            assertTrue(run.out().chars().noneMatch(c -> c != '\n' && Printable.isUnsafe((char) c)), run.out());
        }
        assertEquals(evil, new ObjectMapper().readTree(json.out()).get("tensors").get(0).get("name").asText(),
                "the JSON still carries the exact name");
    }

    /** The bytes of a safetensors file: the 8-byte length, the header, {@code dataBytes} zeros. */
    private static byte[] safetensors(byte[] header, int dataBytes) {
        return java.nio.ByteBuffer.allocate(8 + header.length + dataBytes).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).array();
    }
}

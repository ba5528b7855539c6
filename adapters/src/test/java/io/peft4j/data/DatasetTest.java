package io.peft4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.core.Peft4jException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DatasetTest {

    @TempDir
    Path dir;

    private Path write(String name, byte[] content) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, content);
        return file;
    }

    private Path write(String name, String content) throws IOException {
        return write(name, content.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsEachFormat() throws IOException {
        assertEquals(List.of(new Example.Text("hello"), new Example.Text("wörld 🙂")),
                readAll(write("t.jsonl", "{\"text\":\"hello\"}\n{\"text\":\"wörld 🙂\",\"id\":7}\n")));
        assertEquals(List.of(new Example.PromptCompletion("2+2=", "4")),
                readAll(write("pc.jsonl", "{\"prompt\":\"2+2=\",\"completion\":\"4\"}")));
        assertEquals(List.of(new Example.Preference("q", "good", "bad")),
                readAll(write("p.jsonl", "{\"prompt\":\"q\",\"chosen\":\"good\",\"rejected\":\"bad\"}\n")));
        assertEquals(List.of(new Example.Messages(List.of(
                        new Example.Message("system", "be brief"), new Example.Message("user", "hi"),
                        new Example.Message("assistant", "hello")))),
                readAll(write("m.jsonl", "{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                        + "{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}\n")));
    }

    @Test
    void skipsBlankLinesAndLeadingBomAndCrLfLikeDatasetsJsonLoader() throws IOException {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] body = "{\"text\":\"a\"}\r\n\n   \r\n{\"text\":\"b\"}\n\t\n".getBytes(StandardCharsets.UTF_8);
        byte[] content = new byte[bom.length + body.length];
        System.arraycopy(bom, 0, content, 0, bom.length);
        System.arraycopy(body, 0, content, bom.length, body.length);
        Path file = write("blank.jsonl", content);
        assertEquals(List.of(new Example.Text("a"), new Example.Text("b")), readAll(file));
        assertEquals(new DatasetSummary(file, DatasetFormat.TEXT, 2), Dataset.validate(file));
    }

    @Test
    void readsLinesLongerThanTheReadBuffer() throws IOException {
        String longText = "x".repeat(300_000);
        Path file = write("long.jsonl", "{\"text\":\"" + longText + "\"}\n{\"text\":\"y\"}");
        assertEquals(List.of(new Example.Text(longText), new Example.Text("y")), readAll(file));
    }

    static Stream<Arguments> malformed() {
        String ok = "{\"text\":\"fine\"}\n";
        String user = "{\"role\":\"user\",\"content\":\"hi\"}";
        return Stream.of(
                Arguments.of("invalid JSON", ok + "{\"text\": \"unterminated}\n", 2, "invalid JSON at column"),
                Arguments.of("trailing garbage", ok + "{\"text\":\"a\"} extra\n", 2, "invalid JSON"),
                Arguments.of("duplicate key", "{\"text\":\"a\",\"text\":\"b\"}\n", 1, "duplicate field 'text'"),
                Arguments.of("not an object", ok + "[1, 2]\n", 2, "expected a JSON object, found an array"),
                Arguments.of("a bare string", "\"text\"\n", 1, "expected a JSON object, found a string"),
                Arguments.of("no known field", "{\"body\":\"x\"}\n", 1, "no training fields"),
                Arguments.of("missing completion", "{\"prompt\":\"p\",\"completion\":\"c\"}\n{\"prompt\":\"p\"}\n",
                        2, "missing field \"completion\""),
                Arguments.of("missing rejected", "{\"prompt\":\"p\",\"chosen\":\"c\"}\n", 1, "missing field \"rejected\""),
                Arguments.of("wrong type", ok + ok + "{\"text\":42}\n", 3, "field \"text\" must be a string, found a number"),
                Arguments.of("null text", "{\"text\":null}\n", 1, "field \"text\" must be a string, found null"),
                Arguments.of("messages not an array", "{\"messages\":\"hi\"}\n", 1, "field \"messages\" must be an array"),
                Arguments.of("empty messages", "{\"messages\":[]}\n", 1, "field \"messages\" is empty"),
                Arguments.of("message not an object", "{\"messages\":[" + user + ",3]}\n", 1,
                        "messages[1] must be an object, found a number"),
                Arguments.of("message without content", "{\"messages\":[{\"role\":\"user\"}]}\n", 1,
                        "missing messages[0].content"),
                Arguments.of("content not a string", "{\"messages\":[{\"role\":\"user\",\"content\":[1]}]}\n", 1,
                        "messages[0].content must be a string, found an array"),
                Arguments.of("unknown role", "{\"messages\":[" + user + ",{\"role\":\"bot\",\"content\":\"x\"}]}\n", 1,
                        "messages[1]: unknown role \"bot\""),
                Arguments.of("mixed formats", ok + "\n{\"prompt\":\"p\",\"completion\":\"c\"}\n", 3,
                        "mixed formats: this line is PROMPT_COMPLETION but line 1 made the file TEXT"),
                Arguments.of("BOM not at the start", ok + "\uFEFF{\"text\":\"a\"}\n", 2, "invalid JSON"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedLineNamesFileLineAndProblem(String name, String content, long line, String problem) throws IOException {
        Path file = write("bad.jsonl", content);
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> Dataset.validate(file));
        assertEquals(file, e.file());
        assertEquals(line, e.line());
        assertTrue(e.problem().contains(problem), e.getMessage());
        assertTrue(e.getMessage().startsWith(file + ":" + line + ": "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        DatasetFormatException streamed = assertThrows(DatasetFormatException.class, () -> readAll(file));
        assertEquals(e.getMessage(), streamed.getMessage());
    }

    @Test
    void invalidUtf8IsReportedOnItsLine() throws IOException {
        byte[] content = "{\"text\":\"a\"}\n{\"text\":\"\u00ff\u00fe\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        Path file = write("latin1.jsonl", content);
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> Dataset.validate(file));
        assertEquals(file + ":2: invalid UTF-8", e.getMessage());
    }

    @Test
    void emptyOrMissingFileIsAnError() throws IOException {
        Path empty = write("empty.jsonl", "\n  \n");
        assertEquals(empty + ":2: no examples (the file is empty)",
                assertThrows(DatasetFormatException.class, () -> Dataset.validate(empty)).getMessage());
        Path missing = dir.resolve("nope.jsonl");
        assertEquals(missing + ": no such file",
                assertThrows(Peft4jException.class, () -> Dataset.validate(missing)).getMessage());
    }

    @Test
    void readIsLazyAndStopsAtTheBadLine() throws IOException {
        Path file = write("late.jsonl", "{\"text\":\"a\"}\n{\"text\":\"b\"}\nnot json\n");
        try (Stream<Example> examples = Dataset.read(file)) {
            assertEquals(List.of(new Example.Text("a"), new Example.Text("b")), examples.limit(2).toList());
        }
    }

    private static List<Example> readAll(Path file) {
        try (Stream<Example> examples = Dataset.read(file)) {
            return examples.toList();
        }
    }
}

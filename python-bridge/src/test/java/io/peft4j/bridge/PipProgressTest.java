package io.peft4j.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The set-up status read from what pip printed while it created this project's environment
 * ({@code pip-install.log}: the install log of a real first set-up, with the environment's path
 * replaced by {@code ENV}): 72 requirements collected and downloaded, 2.90 GB, 71 packages installed.
 */
class PipProgressTest {

    private static List<String> log() throws IOException {
        try (InputStream in = PipProgressTest.class.getResourceAsStream("pip-install.log")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    private static List<String> statuses() throws IOException {
        PipProgress progress = new PipProgress();
        List<String> statuses = new ArrayList<>();
        log().forEach(line -> progress.accept(line).ifPresent(statuses::add));
        return statuses;
    }

    @Test
    void countsPackagesAndMegabytesAsPipGoes() throws IOException {
        List<String> statuses = statuses();
        assertEquals("pip: 1 packages resolved, 0 downloaded (0 MB)", statuses.getFirst());
        assertEquals("pip: 1 packages resolved, downloading #1 (527 MB of 527 MB so far)", statuses.get(1));
        assertTrue(statuses.contains("pip: installing 71 packages (2.90 GB downloaded); unpacking takes a while"), statuses.toString());
        assertTrue(statuses.contains("pip: 71 packages installed"), statuses.toString());
        assertTrue(statuses.contains("pip: 72 packages resolved, downloading #72 (3 MB of 2.90 GB so far)"), "jep, built last");
        assertEquals("pip: 1 packages installed", statuses.getLast());
    }

    @Test
    void theConsoleShowsOneRewrittenLineOnATerminalAndFewLinesInALog() throws IOException {
        ByteArrayOutputStream terminal = new ByteArrayOutputStream();
        ByteArrayOutputStream pipe = new ByteArrayOutputStream();
        ProgressListener onTerminal = ProgressListener.console(new PrintStream(terminal, true, StandardCharsets.UTF_8), true);
        ProgressListener inLog = ProgressListener.console(new PrintStream(pipe, true, StandardCharsets.UTF_8), false);
        for (ProgressListener listener : List.of(onTerminal, inLog)) {
            listener.step("installing the pinned requirements");
            for (String line : log()) {
                listener.output(line);
            }
            statuses().forEach(listener::progress);
        }
        String shown = terminal.toString(StandardCharsets.UTF_8);
        assertTrue(shown.startsWith("\r\033[Kpeft4j setup: installing the pinned requirements\n"), shown);
        assertEquals(2, shown.split("\n").length, "the step, then one status line rewritten with \\r and erase-line");
        assertTrue(shown.contains("\r\033[K  pip: installing 71 packages"), shown);
        assertFalse(shown.contains("Collecting"), "pip's own lines stay in the install log");
        assertEquals(List.of("peft4j setup: installing the pinned requirements",
                "  pip: 1 packages resolved, 0 downloaded (0 MB)",
                "  pip: installing 71 packages (2.90 GB downloaded); unpacking takes a while",
                "  pip: 71 packages installed",
                "  pip: 72 packages resolved, 71 downloaded (2.90 GB)",
                "  pip: installing 1 packages (2.90 GB downloaded); unpacking takes a while",
                "  pip: 1 packages installed"), pipe.toString(StandardCharsets.UTF_8).lines().toList(),
                "no logger prefixes, one line per phase");
    }
}

package io.peft4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenStatsTest {

    @TempDir
    Path dir;

    @Test
    void statsOverAStreamedFileMatchTheLengthsWrittenIntoIt() throws IOException {
        // line i (1..2500) holds i % 50 words: length = words + <s> + </s>; more lines than one batch
        List<String> lines = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        for (int i = 1; i <= 2500; i++) {
            int words = i % 50;
            lines.add("{\"text\":\"" + "a ".repeat(words).trim() + "\"}");
            lengths.add(words + 2);
        }
        Path file = Files.write(dir.resolve("train.jsonl"), lines);
        TokenStats stats;
        try (TokenCounter counter = TokenCounter.load(TokenCounterTest.WORDLEVEL)) {
            stats = TokenStats.compute(file, counter, 40);
        }
        List<Integer> sorted = lengths.stream().sorted().toList();
        assertEquals(DatasetFormat.TEXT, stats.format());
        assertEquals(2500, stats.examples());
        assertEquals(lengths.stream().mapToLong(Integer::longValue).sum(), stats.totalTokens());
        assertEquals(stats.totalTokens(), stats.completionTokens());
        assertEquals(0, stats.promptTokens());
        assertEquals(2, stats.lengths().min());
        assertEquals(51, stats.lengths().max());
        assertEquals(sorted.get((int) Math.ceil(0.95 * 2500) - 1), stats.p95Length());
        assertEquals(lengths.stream().filter(n -> n > 40).count(), stats.overMaxLength());
        assertEquals(lengths.stream().filter(n -> n > 40).mapToLong(n -> n - 40).sum(), stats.truncatedTokens());
        assertEquals(false, stats.estimated());
        assertEquals(0, stats.untrainable());
        assertEquals(313, stats.optimizerSteps(8, 1, 1));
        assertEquals(3 * 78, stats.optimizerSteps(8, 4, 3));
        assertEquals(117, stats.optimizerSteps(8, 4, 1.5));
    }

    @Test
    void promptsThatFillTheMaxLengthAreUntrainable() throws IOException {
        Path file = Files.write(dir.resolve("pc.jsonl"), List.of(
                "{\"prompt\":\"a b c d e\",\"completion\":\" f\"}",
                "{\"prompt\":\"a\",\"completion\":\" f\"}"));
        try (TokenCounter counter = TokenCounter.load(TokenCounterTest.WORDLEVEL)) {
            TokenStats stats = TokenStats.compute(file, counter, 6);
            assertEquals(1, stats.untrainable());
            assertEquals(6 + 2, stats.promptTokens());
            assertEquals(4, stats.completionTokens());
            assertEquals(1, stats.overMaxLength());
            assertEquals(1, stats.optimizerSteps(8, 1, 1));
        }
    }

    @Test
    void aBadLineAfterManyGoodOnesStopsTheStats() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            lines.add("{\"text\":\"a b\"}");
        }
        lines.add("{\"text\":[\"a\"]}");
        Path file = Files.write(dir.resolve("bad.jsonl"), lines);
        try (TokenCounter counter = TokenCounter.load(TokenCounterTest.WORDLEVEL)) {
            DatasetFormatException e = assertThrows(DatasetFormatException.class,
                    () -> TokenStats.compute(file, counter, 0));
            assertEquals(3001, e.line());
        }
    }

    @Test
    void distributionPercentilesAndHistogram() {
        LengthDistribution d = new LengthDistribution();
        for (int n = 1; n <= 100; n++) {
            d.add(n);
        }
        d.add(1000);
        assertEquals(96, d.percentile(95));
        assertEquals(1000, d.percentile(100));
        assertEquals(1, d.percentile(0.5));
        assertEquals((5050 + 1000) / 101.0, d.mean(), 1e-12);
        List<LengthDistribution.Bin> bins = d.histogram(10);
        assertEquals(10, bins.size());
        assertEquals(new LengthDistribution.Bin(1, 100, 100), bins.getFirst());
        assertEquals(new LengthDistribution.Bin(901, 1000, 1), bins.getLast());
        assertEquals(101, bins.stream().mapToLong(LengthDistribution.Bin::examples).sum());
        assertTrue(new LengthDistribution().histogram(5).isEmpty());
    }
}

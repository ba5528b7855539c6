package io.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Soups of published adapters trained on the same base (from {@code shared/real-adapters}): the
 * results load as adapters, {@code cat} is exactly the weighted sum of the updates, and a full-rank
 * {@code svd} reproduces it.
 */
class RealAdapterSoupTest {

    @TempDir
    Path temp;

    private static Path realAdapters() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("real-adapters");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        assumeTrue(false, "shared/real-adapters not found above " + Path.of("").toAbsolutePath());
        return null;
    }

    private void checkCatAndSvd(Path first, Path second, double w1, double w2) {
        Path cat = LoraSoup.soup(SoupOptions.builder(SoupMethod.CAT, temp.resolve("cat")).adapter(first, w1).adapter(second, w2).build()).out();
        SoupReport svd = LoraSoup.soup(SoupOptions.builder(SoupMethod.SVD, temp.resolve("svd")).adapter(first, w1).adapter(second, w2)
                .rank(64).build());
        try (LoraAdapter a = LoraAdapter.load(first); LoraAdapter b = LoraAdapter.load(second);
             LoraAdapter c = LoraAdapter.load(cat); LoraAdapter s = LoraAdapter.load(svd.out())) {
            assertEquals(a.modules().size(), c.modules().size());
            for (LoraModule m : a.modules().subList(0, 6)) { // a few layers keep the test fast
                float[] da = m.deltaWeight();
                float[] db = b.module(m.moduleName()).orElseThrow().deltaWeight();
                float[] expected = new float[da.length];
                for (int j = 0; j < da.length; j++) {
                    expected[j] = (float) (w1 * da[j] + w2 * db[j]);
                }
                assertTrue(RelativeError.frobenius(c.module(m.moduleName()).orElseThrow().deltaWeight(), expected) < 1e-5, m.moduleName());
                assertTrue(RelativeError.frobenius(s.module(m.moduleName()).orElseThrow().deltaWeight(), expected) < 1e-4, m.moduleName());
            }
        }
    }

    @Test
    void tinyLlamaCheckpointsSoup() {
        Path real = realAdapters();
        checkCatAndSvd(real.resolve("tinyllama-r4-ckpt75"), real.resolve("tinyllama-r4-ckpt180"), 0.5, 0.5);
        SoupReport ties = LoraSoup.soup(SoupOptions.builder(SoupMethod.TIES, temp.resolve("ties"))
                .adapter(real.resolve("tinyllama-r4-ckpt75"), 0.5).adapter(real.resolve("tinyllama-r4-ckpt180"), 0.5)
                .density(0.5).build());
        assertEquals(4, ties.rank());
        assertEquals(44, ties.modules());
    }

    @Test
    void smolLm2InstructAndBaseSoupDespiteTheDoubledPrefix() {
        Path real = realAdapters();
        checkCatAndSvd(real.resolve("smollm2-360m-instruct-qv"), real.resolve("smollm2-360m-base-qv"), 1.0, -0.5);
    }

    @Test
    void gpt2AdaptersSoupAndTheirHeadsAreNotMixed() {
        Path real = realAdapters();
        SoupReport report = LoraSoup.soup(SoupOptions.builder(SoupMethod.DARE_TIES, temp.resolve("dare"))
                .adapter(real.resolve("gpt2-causal-tigrinya"), 0.6).adapter(real.resolve("gpt2-seqcls-mts"), 0.4)
                .density(0.7).seed(3).build());
        try (LoraAdapter soup = LoraAdapter.load(report.out())) {
            assertTrue(soup.config().fanInFanOut());
            assertEquals(1, soup.replacements().size(), "the classifier head of the one adapter that has it");
        }
        MergeException e = assertThrows(MergeException.class, () -> LoraSoup.soup(SoupOptions.builder(SoupMethod.SVD, temp.resolve("x"))
                .adapter(real.resolve("gpt2-seqcls-mts"), 0.5).adapter(real.resolve("gpt2-seqcls-peft08"), 0.5).build()));
        assertTrue(e.getMessage().contains("score"), e.getMessage());
    }
}

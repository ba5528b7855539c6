package io.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Soup behaviour that needs no PEFT: ZipLoRA's exact rank r1 + r2 form, calibration, rsLoRA inputs, refusals. */
class LoraSoupTest {

    private static final List<String> TARGETS = List.of("model.layers.0.proj", "model.layers.1.proj");

    @TempDir
    Path temp;

    private Path adapter(String name, long seed, Map<String, Object> config) throws IOException {
        return TinyCheckpoints.adapter(temp.resolve(name), 4, 12, 16, TARGETS, seed, config);
    }

    @Test
    void zipLoraIsAnExactRankR1PlusR2AdapterAndUsesCalibration() throws IOException {
        Path content = adapter("content", 1, Map.of());
        Path style = adapter("style", 2, Map.of());
        SoupReport dataFree = LoraSoup.soup(SoupOptions.builder(SoupMethod.ZIPLORA, temp.resolve("zip"))
                .adapter(content, 1).adapter(style, 1).build());
        assertEquals(8, dataFree.rank());
        assertTrue(dataFree.finalLoss() < dataFree.initialLoss());
        // zero steps: mergers stay 1, so the result is exactly the sum of the two updates
        Path plain = LoraSoup.soup(SoupOptions.builder(SoupMethod.ZIPLORA, temp.resolve("zip0"))
                .adapter(content, 1).adapter(style, 1).steps(0).build()).out();
        try (LoraAdapter c = LoraAdapter.load(content); LoraAdapter s = LoraAdapter.load(style); LoraAdapter z = LoraAdapter.load(plain)) {
            for (LoraModule m : c.modules()) {
                float[] sum = m.deltaWeight();
                float[] other = s.module(m.moduleName()).orElseThrow().deltaWeight();
                for (int j = 0; j < sum.length; j++) {
                    sum[j] += other[j];
                }
                assertTrue(RelativeError.frobenius(z.module(m.moduleName()).orElseThrow().deltaWeight(), sum) < 1e-6);
            }
        }
        Random rnd = new Random(4);
        Map<String, float[]> activations = new HashMap<>();
        for (String module : TARGETS) {
            float[] x = new float[20 * 12];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            activations.put(module, x);
        }
        SoupReport calibrated = LoraSoup.soup(SoupOptions.builder(SoupMethod.ZIPLORA, temp.resolve("zipcal"))
                .adapter(content, 1).adapter(style, 1).calibration(activations).calibration(activations).build());
        assertTrue(calibrated.finalLoss() < calibrated.initialLoss());
        assertTrue(Math.abs(calibrated.initialLoss() - dataFree.initialLoss()) > 1e-9, "calibration changes the objective");
    }

    @Test
    void aSingleAdapterIsCombinedLinearlyAsInPeftAndTheReportSaysSo() throws IOException {
        Path one = adapter("one", 1, Map.of());
        SoupReport ties = LoraSoup.soup(SoupOptions.builder(SoupMethod.TIES, temp.resolve("ties")).adapter(one, 0.5)
                .density(0.2).build());
        SoupReport linear = LoraSoup.soup(SoupOptions.builder(SoupMethod.LINEAR, temp.resolve("linear")).adapter(one, 0.5).build());
        assertEquals(SoupMethod.LINEAR, ties.method());
        assertEquals(List.of("a single adapter has nothing to combine: ties acts as linear, as in PEFT's add_weighted_adapter,"
                + " so the result is the adapter times its weight (density unused)"), ties.warnings());
        assertEquals(List.of(), linear.warnings());
        try (LoraAdapter t = LoraAdapter.load(ties.out()); LoraAdapter l = LoraAdapter.load(linear.out())) {
            for (LoraModule m : l.modules()) {
                assertArrayEquals(m.loraA().toFloatArray(), t.module(m.moduleName()).orElseThrow().loraA().toFloatArray());
                assertArrayEquals(m.loraB().toFloatArray(), t.module(m.moduleName()).orElseThrow().loraB().toFloatArray());
            }
        }
        SoupReport svd = LoraSoup.soup(SoupOptions.builder(SoupMethod.SVD, temp.resolve("svd")).adapter(one, 1).rank(2).build());
        assertEquals(4, svd.rank(), "PEFT ignores svd_rank for a single adapter");
        assertTrue(svd.warnings().getFirst().endsWith("(rank unused)"), svd.warnings().toString());
    }

    @Test
    void rsLoraInputsKeepTheirScalingAndTheResultHasNone() throws IOException {
        Path plain = adapter("plain", 1, Map.of());
        Path rs = adapter("rs", 2, Map.of("use_rslora", true));
        Path cat = LoraSoup.soup(SoupOptions.builder(SoupMethod.CAT, temp.resolve("cat")).adapter(rs, 1).adapter(plain, 1).build()).out();
        try (LoraAdapter p = LoraAdapter.load(plain); LoraAdapter r = LoraAdapter.load(rs); LoraAdapter c = LoraAdapter.load(cat)) {
            assertEquals(false, c.config().useRslora(), "PEFT 0.21 would copy use_rslora=true from the first input");
            for (LoraModule m : p.modules()) {
                float[] sum = m.deltaWeight();
                float[] other = r.module(m.moduleName()).orElseThrow().deltaWeight();
                for (int j = 0; j < sum.length; j++) {
                    sum[j] += other[j];
                }
                assertTrue(RelativeError.frobenius(c.module(m.moduleName()).orElseThrow().deltaWeight(), sum) < 1e-6);
            }
        }
    }

    @Test
    void theSoupFolderAndItsConfigHaveTheUmasksPermissions() throws IOException {
        Path out = LoraSoup.soup(SoupOptions.builder(SoupMethod.LINEAR, temp.resolve("soup"))
                .adapter(adapter("a", 1, Map.of()), 1).build()).out();
        Path probe = Files.createDirectory(temp.resolve("probe"));
        Path probeFile = Files.writeString(probe.resolve("file"), "x");
        assertEquals(Files.getPosixFilePermissions(probe), Files.getPosixFilePermissions(out));
        assertEquals(Files.getPosixFilePermissions(probeFile), Files.getPosixFilePermissions(out.resolve("adapter_config.json")));
    }

    @Test
    void refusesDoraInputsUnequalRanksAndMissingDensity() throws IOException {
        Path a = adapter("a", 1, Map.of());
        Path dora = adapter("dora", 2, Map.of("use_dora", true));
        Path rank8 = TinyCheckpoints.adapter(temp.resolve("r8"), 8, 12, 16, TARGETS, 3, Map.of());
        MergeException d = assertThrows(MergeException.class, () -> LoraSoup.soup(
                SoupOptions.builder(SoupMethod.SVD, temp.resolve("o1")).adapter(a, 1).adapter(dora, 1).build()));
        assertTrue(d.getMessage().contains("DoRA adapters cannot be souped"), d.getMessage());
        MergeException e = assertThrows(MergeException.class, () -> LoraSoup.soup(SoupOptions.builder(SoupMethod.LINEAR, temp.resolve("o2"))
                .adapter(a, 1).adapter(rank8, 1).build()));
        assertTrue(e.getMessage().contains("same rank"), e.getMessage());
        e = assertThrows(MergeException.class, () -> SoupOptions.builder(SoupMethod.DARE_TIES, temp.resolve("o3"))
                .adapter(a, 1).adapter(rank8, 1).build());
        assertTrue(e.getMessage().contains("density"), e.getMessage());
    }
}

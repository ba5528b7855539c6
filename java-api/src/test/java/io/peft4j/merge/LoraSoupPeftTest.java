package io.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraDelta;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every soup method on the adapters PEFT made and compares with PEFT's
 * {@code add_weighted_adapter} result: factor-space methods and {@code cat} bit for bit, the
 * {@code *_svd} methods on {@code B @ A} (SVD factors are unique only up to sign) to 1e-4, and the
 * DARE methods statistically (torch's random stream cannot be reproduced in Java).
 */
class LoraSoupPeftTest {

    @TempDir
    Path temp;

    @TestFactory
    Stream<DynamicTest> soupsMatchPeft() throws Exception {
        Path run = PeftReference.build("build_soups");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : PeftReference.manifest(run)) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c)));
        }
        return tests.stream();
    }

    private SoupReport soup(JsonNode c, Path out, long seed) {
        SoupOptions.Builder options = SoupOptions.builder(SoupMethod.parse(c.get("method").asText()), out).seed(seed)
                .majoritySign(MajoritySign.parse(c.get("majority_sign").asText()));
        for (JsonNode a : c.get("adapters")) {
            options.adapter(Path.of(a.get("dir").asText()), a.get("weight").asDouble());
        }
        if (!c.get("density").isNull()) {
            options.density(c.get("density").asDouble());
        }
        if (!c.get("rank").isNull()) {
            options.rank(c.get("rank").asInt());
        }
        return LoraSoup.soup(options.build());
    }

    private void check(JsonNode c) throws Exception {
        String name = c.get("name").asText();
        SoupMethod method = SoupMethod.parse(c.get("method").asText());
        SoupReport report = soup(c, temp.resolve(name), 7);
        try (LoraAdapter ours = LoraAdapter.load(report.out());
             LoraAdapter peft = LoraAdapter.load(Path.of(c.get("expected").asText()))) {
            AdapterConfig config = ours.config();
            assertEquals(peft.config().rank(), config.rank(), "r");
            assertEquals(config.rank(), config.loraAlpha(), "lora_alpha = r");
            assertEquals(false, config.useRslora());
            assertEquals(peft.modules().size(), ours.modules().size(), "modules");
            boolean dare = method.name().startsWith("DARE");
            boolean svd = method.kind() == SoupMethod.Kind.SVD;
            long equal = 0;
            long total = 0;
            double worst = 0;
            for (LoraModule expected : peft.modules()) {
                LoraModule actual = ours.module(expected.moduleName()).orElseThrow();
                if (dare) {
                    checkStatistically(name, method, expected, actual);
                } else if (svd) {
                    worst = Math.max(worst, RelativeError.frobenius(product(actual), product(expected)));
                } else {
                    for (float[][] pair : new float[][][] {
                            {expected.loraA().toFloatArray(), actual.loraA().toFloatArray()},
                            {expected.loraB().toFloatArray(), actual.loraB().toFloatArray()}}) {
                        for (int j = 0; j < pair[0].length; j++) {
                            // value equality: PEFT's zero padding is (random init) * 0.0, so its zeros carry random signs
                            equal += pair[0][j] == pair[1][j] ? 1 : 0;
                        }
                        total += pair[0].length;
                    }
                }
            }
            if (svd && !dare) {
                System.out.printf("soup %-24s B@A relative error to PEFT: %.2e%n", name, worst);
                assertTrue(worst < 1e-4, name + ": B@A differs from PEFT's by " + worst);
            } else if (!dare) {
                System.out.printf("soup %-24s A, B identical to PEFT: %d / %d%n", name, equal, total);
                assertEquals(total, equal, name + ": not bit-identical");
            }
        }
    }

    private static float[] product(LoraModule m) {
        int out = Math.toIntExact(m.loraB().shape()[0]);
        int in = Math.toIntExact(m.loraA().numel() / m.rank());
        return LoraDelta.of(m.loraB().toFloatArray(), m.loraA().toFloatArray(), out, m.rank(), in, 1).toArray();
    }

    /**
     * DARE: the fraction of exact zeros (all inputs dropped, or TIES disagreement) must agree with
     * PEFT's within 5 binomial standard deviations; for the SVD variants, the norms of B @ A agree
     * within 10% (no rescaling by 1/density would be off by a factor 2) and the two draws are aligned
     * (two independent DARE draws at density 0.5 have a cosine near 0.5; unrelated matrices near 0).
     */
    private static void checkStatistically(String name, SoupMethod method, LoraModule expected, LoraModule actual) {
        if (method.kind() == SoupMethod.Kind.SVD) {
            float[] e = product(expected);
            float[] a = product(actual);
            double ee = 0;
            double aa = 0;
            double ea = 0;
            for (int j = 0; j < e.length; j++) {
                ee += (double) e[j] * e[j];
                aa += (double) a[j] * a[j];
                ea += (double) e[j] * a[j];
            }
            double normRatio = Math.sqrt(aa / ee);
            double cosine = ea / Math.sqrt(aa * ee);
            assertTrue(Math.abs(normRatio - 1) < 0.1 && cosine > 0.3,
                    name + " " + expected.moduleName() + ": norm ratio " + normRatio + ", cosine " + cosine);
            return;
        }
        for (float[][] pair : new float[][][] {
                {expected.loraA().toFloatArray(), actual.loraA().toFloatArray()},
                {expected.loraB().toFloatArray(), actual.loraB().toFloatArray()}}) {
            double pe = zeros(pair[0]);
            double pa = zeros(pair[1]);
            double p = (pe + pa) / 2;
            double sd = Math.sqrt(2 * p * (1 - p) / pair[0].length);
            assertTrue(Math.abs(pe - pa) <= 5 * sd + 1e-12,
                    name + " " + expected.moduleName() + ": zero fraction " + pa + " vs PEFT's " + pe);
        }
    }

    private static double zeros(float[] v) {
        int z = 0;
        for (float x : v) {
            z += x == 0 ? 1 : 0;
        }
        return (double) z / v.length;
    }

    @Test
    void dareIsUnbiasedAndSeeded() throws Exception {
        Path run = PeftReference.build("build_soups");
        JsonNode dare = null;
        JsonNode linear = null;
        for (JsonNode c : PeftReference.manifest(run)) {
            if (c.get("name").asText().equals("llama_dare_linear")) dare = c;
            if (c.get("name").asText().equals("llama_linear")) linear = c;
        }
        Path exact = soup(linear, temp.resolve("linear"), 0).out();
        double dot = 0;
        double norm = 0;
        for (long seed = 0; seed < 10; seed++) {
            Path first = soup(dare, temp.resolve("dare-a" + seed), seed).out();
            Path again = soup(dare, temp.resolve("dare-b" + seed), seed).out();
            try (LoraAdapter x = LoraAdapter.load(first); LoraAdapter y = LoraAdapter.load(again);
                 LoraAdapter l = LoraAdapter.load(exact)) {
                for (LoraModule m : x.modules()) {
                    float[] a = m.loraA().toFloatArray();
                    assertEquals(java.util.Arrays.toString(a),
                            java.util.Arrays.toString(y.module(m.moduleName()).orElseThrow().loraA().toFloatArray()), "same seed");
                    float[] ref = l.module(m.moduleName()).orElseThrow().loraA().toFloatArray();
                    for (int j = 0; j < a.length; j++) {
                        dot += (double) a[j] * ref[j];
                        norm += (double) ref[j] * ref[j];
                    }
                }
            }
        }
        // E[dare] = linear, so the regression slope of dare on linear is 1 (10 draws: standard error about 0.01)
        assertEquals(1.0, dot / norm, 0.05);
    }
    /**
     * ZipLoRA's result and an svd soup are plain PEFT adapters: PEFT loads each into the base and
     * merges it to exactly what {@link BaseMerger} makes of it; ZipLoRA lowers its objective.
     */
    @Test
    void zipLoraAndSvdResultsLoadInPeft() throws Exception {
        Path run = PeftReference.build("build_soups");
        Path base = run.resolve("bases").resolve("llama");
        for (SoupMethod method : new SoupMethod[] {SoupMethod.ZIPLORA, SoupMethod.SVD}) {
            Path adapter = temp.resolve(method.cliName());
            SoupReport report = LoraSoup.soup(SoupOptions.builder(method, adapter)
                    .adapter(run.resolve("adapters").resolve("l0"), 1.0)
                    .adapter(run.resolve("adapters").resolve("l1"), 1.0).build());
            if (method == SoupMethod.ZIPLORA) {
                assertEquals(16, report.rank());
                assertTrue(report.finalLoss() < report.initialLoss(),
                        "ZipLoRA objective " + report.finalLoss() + " not below the plain sum's " + report.initialLoss());
                System.out.printf("ziplora objective summed over %d layers: plain sum %.4f, merged %.4f%n",
                        report.modules(), report.initialLoss(), report.finalLoss());
            }
            Path byPeft = temp.resolve(method.cliName() + "-merged-by-peft");
            PeftReference.mergeAdapter(base, adapter, byPeft);
            Path byUs = temp.resolve(method.cliName() + "-merged-by-peft4j");
            BaseMerger.merge(MergeOptions.builder(base, byUs).adapter(adapter).build());
            try (TensorSource ours = PeftReference.weights(byUs); TensorSource peft = PeftReference.weights(byPeft)) {
                for (String name : peft.tensors().stream().map(TensorInfo::name).toList()) {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(peft.tensor(name).toFloatArray(),
                            ours.tensor(name).toFloatArray(), method + " " + name);
                }
            }
        }
    }
}

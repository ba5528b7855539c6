package io.peft4j.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.peft4j.testing.RealAdapters;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every adapter in {@code shared/real-adapters} (published by real users) loads, with the facts in its PROVENANCE.md. */
class RealAdapterTest {

    @ParameterizedTest
    @CsvSource({
        // name, modules, rank, scaling, kind, replacement tensors
        "tinyllama-r4-ckpt75, 44, 4, 4.0, LINEAR, 0",
        "tinyllama-r4-ckpt180, 44, 4, 4.0, LINEAR, 0",
        "smollm2-360m-instruct-qv, 64, 8, 2.0, LINEAR, 0",
        "smollm2-360m-base-qv, 64, 8, 2.0, LINEAR, 0",
        "qwen25-05b-instruct-qv, 48, 8, 2.0, LINEAR, 0",
        "gpt2-causal-tigrinya, 36, 8, 4.0, CONV1D, 0",
        "gpt2-seqcls-mts, 36, 8, 4.0, CONV1D, 1",
        "gpt2-seqcls-peft08, 12, 8, 2.0, CONV1D, 1",
        "opt125m-bf16-qv, 24, 16, 2.0, LINEAR, 0",
    })
    void loads(String name, int modules, int rank, double scaling, LayerKind kind, int replacements) {
        Optional<Path> folder = RealAdapters.folder();
        assumeTrue(folder.isPresent(), RealAdapters.MISSING);
        try (LoraAdapter adapter = LoraAdapter.load(folder.get().resolve(name))) {
            assertEquals(modules, adapter.modules().size());
            assertEquals(replacements, adapter.replacements().size());
            for (LoraModule m : adapter.modules()) {
                assertEquals(rank, m.rank(), m.moduleName());
                assertEquals(scaling, m.scaling(), 0.0, m.moduleName());
                assertEquals(kind, m.kind(), m.moduleName());
                assertTrue(!m.moduleName().startsWith("base_model"), "prefix normalised: " + m.moduleName());
            }
            LoraModule first = adapter.modules().get(0);
            float[] delta = first.deltaWeight();
            long[] shape = first.baseWeightShape();
            assertEquals(shape[0] * shape[1], delta.length);
            double norm = 0;
            for (float v : delta) {
                assertTrue(Float.isFinite(v));
                norm += v * v;
            }
            assertTrue(norm > 0, "a trained adapter has a non-zero delta");
        }
    }
}

package io.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Merges the adapters PEFT made into the bases PEFT made (through the bridge, in this JVM), and
 * compares with PEFT's own {@code merge_and_unload} output bit for bit: every layer kind (Linear bf16/fp32, GPT-2 Conv1D,
 * Embedding, Conv2d 3x3 and 1x1), DoRA, rsLoRA, rank/alpha patterns, lora_bias, modules_to_save,
 * two weighted adapters.
 */
class BaseMergerPeftTest {

    @TempDir
    Path temp;

    @TestFactory
    Stream<DynamicTest> mergesMatchPeftBitForBit() throws Exception {
        Path run = PeftReference.build("build_merges");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : PeftReference.manifest(run)) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c)));
        }
        return tests.stream();
    }

    private void check(JsonNode c) throws Exception {
        String name = c.get("name").asText();
        MergeOptions.Builder options = MergeOptions.builder(Path.of(c.get("base").asText()), temp.resolve(name));
        for (JsonNode a : c.get("adapters")) {
            options.adapter(Path.of(a.get("dir").asText()), a.get("weight").asDouble());
        }
        MergeReport report = BaseMerger.merge(options.build());
        assertTrue(report.changed() > 0);
        long equal = 0;
        long total = 0;
        try (TensorSource ours = PeftReference.weights(report.out());
             TensorSource peft = PeftReference.weights(Path.of(c.get("expected").asText()))) {
            for (TensorInfo info : peft.tensors()) {
                Tensor expected = peft.tensor(info.name());
                Tensor actual = ours.tensor(info.name());
                assertEquals(expected.dtype(), actual.dtype(), info.name());
                assertArrayEquals(expected.shape(), actual.shape(), info.name());
                float[] e = expected.toFloatArray();
                float[] a = actual.toFloatArray();
                for (int j = 0; j < e.length; j++) {
                    if (Float.floatToRawIntBits(e[j]) == Float.floatToRawIntBits(a[j])) {
                        equal++;
                    }
                }
                total += e.length;
            }
        }
        double fraction = (double) equal / total;
        System.out.printf("merge %-24s bit-identical to PEFT: %d / %d = %.6f%n", name, equal, total, fraction);
        assertEquals(1.0, fraction, name + ": not bit-identical to PEFT");
        try (Stream<Path> files = Files.list(report.out())) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary files left");
        }
    }
}

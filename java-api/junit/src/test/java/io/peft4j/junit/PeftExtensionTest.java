package io.peft4j.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.Peft;
import io.peft4j.TrainConfig;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.merge.BaseMerger;
import io.peft4j.merge.MergeOptions;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSource;
import io.peft4j.safetensors.TensorSpec;
import io.peft4j.tuning.Targets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/** The extension on itself: injection, the tiny model, and each check passing on good input and failing on bad. */
@PeftTest
class PeftExtensionTest {

    @TempDir
    static Path shared;
    static Path adapter;

    /** A small LoRA adapter on the tiny model, trained for a few steps so that B is not zero. */
    @BeforeAll
    static void trainAdapter(TinyModels tiny) {
        record Example(String prompt, String completion) {}
        List<Example> data = List.of(new Example("Greet alice:", " hello alice"), new Example("Greet bob:", " hello bob"));
        adapter = Peft.train(TrainConfig.builder().baseModel(tiny.llama()).records(data).outputDir(shared.resolve("adapter"))
                .maxSteps(3).batchSize(2).maxLength(32).learningRate(1e-2).targets(Targets.names("q_proj", "v_proj"))
                .build()).adapterDir();
    }

    @Test
    void injectsTheSharedRuntimeAndOneTinyModelPerRun(PythonRuntime python, TinyModels tiny, @TempDir Path copy) throws IOException {
        assertSame(PythonRuntime.get(), python);
        Path model = tiny.llama();
        assertSame(model, tiny.llama(), "built once");
        assertTrue(Files.isRegularFile(model.resolve("config.json")) && Files.isRegularFile(model.resolve("tokenizer.json")));
        assertEquals(copy, tiny.llama(copy));
        assertEquals(Files.size(model.resolve("model.safetensors")), Files.size(copy.resolve("model.safetensors")));
        assertThrows(IllegalArgumentException.class, () -> tiny.llama(copy), "a non-empty target is refused");
    }

    @Test
    void mergedEqualsPeftForJavasMergeAndFailsForAnotherWeight(TinyModels tiny, PeftCheck check, @TempDir Path dir) {
        Path merged = dir.resolve("merged");
        BaseMerger.merge(MergeOptions.builder(tiny.llama(), merged).adapter(adapter).build());
        check.assertMergedEquals(merged, tiny.llama(), adapter);

        Path half = dir.resolve("half");
        BaseMerger.merge(MergeOptions.builder(tiny.llama(), half).adapter(adapter, 0.5).build());
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> check.assertMergedEquals(half, tiny.llama(), adapter));
        assertTrue(e.getMessage().contains("self_attn.q_proj.weight: ") && e.getMessage().contains("values differ"), e.getMessage());
        check.assertMergedEquals(half, tiny.llama(), List.of(adapter), List.of(0.5));
    }

    @Test
    void loadsInPeftPassesForATrainedAdapterAndFailsForARenamedKey(TinyModels tiny, PeftCheck check, @TempDir Path dir) throws IOException {
        check.assertLoadsInPeft(adapter, tiny.llama());

        Path broken = Files.createDirectories(dir.resolve("broken"));
        Files.copy(adapter.resolve("adapter_config.json"), broken.resolve("adapter_config.json"));
        try (TensorSource source = Safetensors.open(adapter.resolve("adapter_model.safetensors"))) {
            List<TensorInfo> infos = source.tensors();
            String renamed = infos.getFirst().name();
            List<TensorSpec> specs = infos.stream().map(i -> new TensorSpec(i.name().equals(renamed) ? renamed.replace("lora_A", "lora_X") : i.name(), i.dtype(), i.shape())).toList();
            try (SafetensorsWriter writer = SafetensorsWriter.create(broken.resolve("adapter_model.safetensors"), specs, Map.of())) {
                for (int i = 0; i < infos.size(); i++) {
                    Tensor t = source.tensor(infos.get(i).name());
                    writer.write(specs.get(i).name(), t.data());
                }
                writer.commit();
            }
            AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> check.assertLoadsInPeft(broken, tiny.llama()));
            assertTrue(e.getMessage().contains(renamed.replace("lora_A", "lora_X") + ": missing from"), e.getMessage());
        }
    }

    @Test
    void tensorsCloseHonoursTheTolerance(PeftCheck check, @TempDir Path dir) {
        Path a = write(dir.resolve("a.safetensors"), new float[] {1f, 2f, 3f});
        Path b = write(dir.resolve("b.safetensors"), new float[] {1f, 2.001f, 3f});
        check.assertTensorsClose(a, a, 0, 0);
        check.assertTensorsClose(a, b, 1e-3, 0);
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> check.assertTensorsClose(a, b, 1e-4, 0));
        assertTrue(e.getMessage().contains("w: 1 of 3 values differ") && e.getMessage().contains("at index 1"), e.getMessage());
    }

    private static Path write(Path file, float[] values) {
        try (SafetensorsWriter writer = SafetensorsWriter.create(file,
                List.of(new TensorSpec("w", io.peft4j.safetensors.DType.F32, new long[] {values.length})), Map.of())) {
            writer.write("w", values);
            return writer.commit();
        }
    }
}

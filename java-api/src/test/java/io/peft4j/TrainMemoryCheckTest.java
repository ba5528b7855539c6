package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.tuning.Targets;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The warning {@link Peft#train} logs before a run that will not fit (no Python involved). */
class TrainMemoryCheckTest {

    private static TrainConfig.Builder config(Path dir, String bundledConfig) throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        try (InputStream in = TrainMemoryCheck.class.getResourceAsStream("/io/peft4j/estimate/models/" + bundledConfig)) {
            Files.copy(in, model.resolve("config.json"));
        }
        Path data = Files.writeString(dir.resolve("train.jsonl"), "{\"text\":\"hi\"}\n");
        return TrainConfig.builder().baseModel(model).data(data).outputDir(dir.resolve("out"));
    }

    @Test
    void warnsWhenTheEstimateExceedsTheDevice(@TempDir Path dir) throws IOException {
        // LoRA on an fp32 LLaMA-65B needs its 243 GiB of fp32 weights at least.
        TrainConfig big = config(dir, "huggyllama--llama-65b.json").method("lora").build();
        Optional<String> warning = TrainMemoryCheck.warning(big, 64L << 30);
        assertTrue(warning.isPresent());
        assertTrue(warning.get().startsWith("peft4j train: this run is estimated to need "), warning.get());
        double gib = Double.parseDouble(warning.get().split(" ")[8]);
        assertTrue(gib > 65_285_660_672L * 4.0 / (1L << 30), warning.get());
        assertTrue(warning.get().contains("the machine has 64.0 GiB"), warning.get());
    }

    @Test
    void silentWhenItFitsOrCannotBeEstimated(@TempDir Path dir) throws IOException {
        TrainConfig small = config(dir, "openai-community--gpt2.json").method("qlora").build();
        assertEquals(Optional.empty(), TrainMemoryCheck.warning(small, 64L << 30));
        TrainConfig prompt = small.toBuilder().method("prompt_tuning").build();
        assertEquals(Optional.empty(), TrainMemoryCheck.warning(prompt, 1));
        TrainConfig noTarget = small.toBuilder().method("lora").targets(Targets.names("nothing_here"))
                .build();
        assertEquals(Optional.empty(), TrainMemoryCheck.warning(noTarget, 1));
    }
}

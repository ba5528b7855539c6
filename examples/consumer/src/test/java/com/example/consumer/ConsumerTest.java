package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.Peft;
import io.peft4j.TinyModel;
import io.peft4j.TrainConfig;
import io.peft4j.TrainResult;
import io.peft4j.merge.MergeOptions;
import io.peft4j.merge.MergeReport;
import io.peft4j.merge.SoupMethod;
import io.peft4j.merge.SoupOptions;
import io.peft4j.merge.SoupReport;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an application does with peft4j, through the installed artifacts only: one short training
 * run, a merge, a soup and a safetensors read; and what it gets on its classpath.
 */
class ConsumerTest {

    /** Libraries an application must not get from the peft4j library: CLI, test and logging-binding jars. */
    private static final List<String> FORBIDDEN = List.of(
            "info.picocli:", "org.jline:", "me.tongfei:progressbar", "org.slf4j:slf4j-simple", "ch.qos.logback:",
            "org.slf4j:slf4j-reload4j", "org.apache.logging.log4j:log4j-slf4j", "org.junit", "org.opentest4j",
            "io.peft4j:peft4j-cli", "io.peft4j:peft4j-junit", "io.peft4j:peft4j-local-hub", "mockwebserver");

    @Test
    void theLibraryBringsNoCliTestOrLoggingBindingJars() throws IOException {
        List<String> runtime = Files.readAllLines(Path.of("target/runtime-dependencies.txt")).stream()
                .map(String::strip).filter(line -> line.matches("[\\w.-]+:[\\w.-]+:.*")).toList();
        assertTrue(runtime.stream().anyMatch(line -> line.startsWith("io.peft4j:peft4j-java-api:")), "resolved: " + runtime);
        List<String> found = new ArrayList<>();
        for (String line : runtime) {
            for (String forbidden : FORBIDDEN) {
                if (line.toLowerCase(Locale.ROOT).contains(forbidden.toLowerCase(Locale.ROOT))) {
                    found.add(line);
                }
            }
        }
        assertEquals(List.of(), found, "the library's runtime classpath holds CLI/test/binding jars");
    }

    @Test
    void trainMergeSoupAndRead(@TempDir Path dir) throws IOException {
        Path base = TinyModel.llama().write(dir.resolve("base"));
        Path data = Files.write(dir.resolve("train.jsonl"), List.of(
                "{\"text\": \"the cat sat on the mat\"}", "{\"text\": \"the dog sat on the log\"}"));
        TrainResult trained = Peft.train(TrainConfig.builder()
                .baseModel(base).data(data).outputDir(dir.resolve("lora"))
                .method("lora").rank(4).alpha(8)
                .maxSteps(3).batchSize(2)
                .build());
        assertEquals(3, trained.steps());

        MergeReport merged = Peft.merge(MergeOptions.builder(base, dir.resolve("merged"))
                .adapter(trained.adapterDir(), 1.0).build());
        assertTrue(merged.changed() > 0, "the adapter changed no weight: " + merged);

        SoupReport soup = Peft.soup(SoupOptions.builder(SoupMethod.CAT, dir.resolve("soup"))
                .adapter(trained.adapterDir(), 0.5).adapter(trained.adapterDir(), 0.5).build());
        assertEquals(8, soup.rank());

        try (TensorSource weights = Safetensors.open(dir.resolve("merged").resolve(Safetensors.MODEL_FILE))) {
            float[] embedding = weights.tensor("model.embed_tokens.weight").toFloatArray();
            assertTrue(embedding.length > 0);
        }
    }
}

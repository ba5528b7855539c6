package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.peft4j.peft.AdapterFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Peft#generate} and {@link Peft#evaluate} check their arguments in Java, before Python starts
 * (these tests never start it): a folder that is not an adapter is refused as merges refuse it, and
 * argument errors are {@link GenerateOptionsException}s.
 */
class GenerateArgumentsTest {

    @TempDir
    Path dir;
    Path model;

    @BeforeEach
    void model() throws IOException {
        model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{}");
    }

    @Test
    void aFolderThatIsNotAnAdapterIsRefusedBeforePython() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        AdapterFormatException e = assertThrows(AdapterFormatException.class,
                () -> Peft.generate(model, List.of(empty), "hi", GenerateOptions.defaults()));
        assertEquals(empty.resolve("adapter_config.json") + ": no adapter_config.json here", e.getMessage());

        Path pickled = Files.createDirectories(dir.resolve("pickled"));
        Files.writeString(pickled.resolve("adapter_config.json"), "{\"peft_type\": \"IA3\"}");
        Files.writeString(pickled.resolve("adapter_model.bin"), "not loaded");
        assertEquals(pickled.resolve("adapter_model.bin"), assertThrows(AdapterFormatException.class,
                () -> Peft.evaluate(model, pickled, dir.resolve("any.jsonl"))).file(), "pickles are never loaded");

        Path halfLora = Files.createDirectories(dir.resolve("half"));
        Files.writeString(halfLora.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 0}");
        assertThrows(AdapterFormatException.class, () -> Peft.generate(model, List.of(halfLora), "hi", GenerateOptions.defaults()));
    }

    @Test
    void argumentErrorsAreGenerateOptionsExceptions() {
        assertEquals("max new tokens must be > 0, got 0",
                assertThrows(GenerateOptionsException.class, () -> GenerateOptions.defaults().withMaxNewTokens(0)).getMessage());
        assertEquals(dir.resolve("nope") + ": base model directory not found", assertThrows(GenerateOptionsException.class,
                () -> Peft.generate(dir.resolve("nope"), List.of(), "hi", GenerateOptions.defaults())).getMessage());
        assertEquals(dir.resolve("none.jsonl") + ": data file not found", assertThrows(GenerateOptionsException.class,
                () -> Peft.evaluate(model, null, dir.resolve("none.jsonl"))).getMessage());
        assertEquals("1 weights given for 0 adapters", assertThrows(GenerateOptionsException.class,
                () -> Peft.generate(model, List.of(), "hi", GenerateOptions.defaults().withWeights(List.of(1.0)))).getMessage());
    }
}

package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.core.Peft4jException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/**
 * Java and Python agree on every key of every JSON value that crosses between them: the schema Java
 * derives from its records (through Jackson, as it writes them) is checked by
 * {@code peft4j_bridge.contract.check} against Python's dataclasses, key by key, with JSON types,
 * nullability and event names.
 */
class ContractTest {

    @Test
    void javaAndPythonAgreeOnEveryKey() {
        Object problems = TinyFixtures.python().call("contract", "check", Contract.schema());
        assertEquals(List.of(), problems);
    }

    @Test
    void theCheckFailsWhenOneSideRenamesRetypesOrDropsAKey() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode schema = (ObjectNode) json.readTree(Contract.schema());
        ObjectNode config = (ObjectNode) schema.get("types").get("TrainConfig");
        config.set("learning_rate_renamed", config.remove("learning_rate"));
        ((ObjectNode) schema.get("types").get("TrainStep").get("grad_norm")).put("nullable", false);
        ((ObjectNode) schema.get("types").get("TrainResult").get("steps")).put("type", "string");
        ((ObjectNode) schema.get("events")).put("step", "TrainStepRenamed");
        List<?> problems = (List<?>) TinyFixtures.python().call("contract", "check", json.writeValueAsString(schema));
        assertEquals(List.of(
                "TrainConfig.learning_rate: in Python only",
                "TrainConfig.learning_rate_renamed: in Java only",
                "TrainResult.steps: Java {'type': 'string', 'nullable': False}, Python {'type': 'integer', 'nullable': False}",
                "TrainStep.grad_norm: Java {'type': 'number', 'nullable': False}, Python {'type': 'number', 'nullable': True}"),
                problems.subList(0, 4));
        assertTrue(problems.get(4).toString().startsWith("event names: Java {"), problems.get(4).toString());
    }

    @Test
    void eventsAreOneJsonLineWithTheirNameAndReadStrictly() {
        TrainStep step = new TrainStep(3, 10, 0.5, 1.25, 2e-4, 1000, Duration.ofMillis(1500), OptionalDouble.empty(), 96,
                Duration.ofSeconds(2), OptionalDouble.of(0.5), OptionalDouble.empty());
        String line = Contract.write(step);
        assertTrue(line.startsWith("{\"event\":\"step\",\"step\":3,"), line);
        assertTrue(line.contains("\"eta_seconds\":1.5") && line.contains("\"grad_norm\":null"), line);
        assertEquals(step, Contract.read(line, TrainingEvent.class));
        TrainResult result = new TrainResult(Path.of("/a"), Path.of("/a/metrics.jsonl"), Path.of("/a/train_config.json"),
                4, 4, 1, OptionalDouble.of(0.5), OptionalDouble.empty(), Duration.ofSeconds(3), 100, "adamw_torch",
                "adamw_torch", "cpu", false, Optional.empty(), List.of());
        assertEquals(result, Contract.read(Contract.write(result), TrainingEvent.class));
        assertThrows(Peft4jException.class, () -> Contract.read(line.replace("\"step\":3,", ""), TrainingEvent.class),
                "a missing key is an error, not a default");
        assertThrows(Peft4jException.class, () -> Contract.read(line.replace("\"step\":3,", "\"step\":3,\"extra\":1,"),
                TrainingEvent.class), "so is an unknown one");
    }
}

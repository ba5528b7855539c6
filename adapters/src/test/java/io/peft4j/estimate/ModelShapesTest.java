package io.peft4j.estimate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Shapes from config.json against what transformers 5.18 builds from the same config
 * (fixtures written by {@code src/test/python/shape_fixtures.py}).
 */
class ModelShapesTest {

    @TestFactory
    List<DynamicTest> everyTensorNameAndShapeMatchesTransformers() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Fixtures.json("shapes.json")) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                ModelShapes shapes = ModelShapes.fromConfig(c.get("config"), c.get("name").asText());
                Set<String> expected = new TreeSet<>();
                for (JsonNode t : c.get("tensors")) {
                    expected.add(t.get(0).asText() + t.get(1).toString().replace(",", ", "));
                }
                Set<String> actual = shapes.tensors().stream()
                        .map(t -> t.name() + java.util.Arrays.toString(t.shape()))
                        .collect(Collectors.toCollection(TreeSet::new));
                assertEquals(expected, actual);
                assertEquals(c.get("parameters").asLong(), shapes.parameterCount());
            }));
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> publishedParameterCountsOfWellKnownModels() {
        List<DynamicTest> tests = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = Fixtures.json("known-model-counts.json").fields();
        while (it.hasNext()) {
            var e = it.next();
            tests.add(DynamicTest.dynamicTest(e.getKey(), () ->
                    assertEquals(e.getValue().asLong(), Fixtures.model(e.getKey()).parameterCount())));
        }
        return tests;
    }

    @Test
    void publishedFiguresFromModelCards() {
        // The figures quoted by the model cards / papers, independent of the Python fixture.
        assertEquals(8_030_261_248L, Fixtures.model("meta-llama--Meta-Llama-3-8B.json").parameterCount());
        assertEquals(7_241_732_096L, Fixtures.model("mistralai--Mistral-7B-v0.1.json").parameterCount());
        assertEquals(494_032_768L, Fixtures.model("Qwen--Qwen2.5-0.5B.json").parameterCount());
        assertEquals(124_439_808L, Fixtures.model("openai-community--gpt2.json").parameterCount());
        assertEquals(125_239_296L, Fixtures.model("facebook--opt-125m.json").parameterCount());
        assertEquals(109_482_240L, Fixtures.model("google-bert--bert-base-uncased.json").parameterCount());
    }

    @Test
    void unsupportedAndMalformedConfigsFailInOneLine() {
        var json = new ObjectMapper();
        var unsupported = assertThrows(EstimateException.class, () ->
                ModelShapes.fromConfig(json.readTree("{\"model_type\":\"mamba\"}"), "x/config.json"));
        assertTrue(unsupported.getMessage().startsWith("x/config.json: model_type 'mamba' is not supported"),
                unsupported.getMessage());
        var bad = assertThrows(EstimateException.class, () ->
                ModelShapes.fromConfig(json.readTree("{\"model_type\":\"llama\",\"hidden_size\":\"big\"}"), "c"));
        assertEquals("c: 'hidden_size' must be a positive integer, got \"big\"", bad.getMessage());
        assertThrows(EstimateException.class, () -> ModelShapes.fromConfig(json.readTree("{}"), "c"));
    }
}

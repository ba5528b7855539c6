package io.peft4j.estimate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.tuning.Targets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** LoRA/DoRA trainable counts against PEFT 0.21's get_nb_trainable_parameters() (shape_fixtures.py). */
class AdapterShapesTest {

    @TestFactory
    List<DynamicTest> trainableCountsMatchPeft() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Fixtures.json("shapes.json")) {
            ModelShapes model = ModelShapes.fromConfig(c.get("config"), c.get("name").asText());
            for (JsonNode l : c.get("lora")) {
                JsonNode t = l.get("targets");
                Targets targets = t.isTextual()
                        ? (t.asText().equals("all-linear") ? Targets.allLinear() : Targets.regex(t.asText()))
                        : Targets.names(toList(t));
                boolean dora = l.get("dora").asBoolean();
                tests.add(DynamicTest.dynamicTest(c.get("name").asText() + " " + t + (dora ? " dora" : ""), () ->
                        assertEquals(l.get("trainable").asLong(),
                                AdapterShapes.of(model, targets, l.get("rank").asInt(), dora).parameterCount())));
            }
        }
        return tests;
    }

    @Test
    void noMatchAndBadRankAreOneLineErrors() {
        ModelShapes gpt2 = Fixtures.model("openai-community--gpt2.json");
        var e = assertThrows(EstimateException.class,
                () -> AdapterShapes.of(gpt2, Targets.names(List.of("q_proj")), 8, false));
        assertTrue(e.getMessage().startsWith("target modules [q_proj] match no linear or embedding module of gpt2"),
                e.getMessage());
        assertThrows(EstimateException.class, () -> AdapterShapes.of(gpt2, Targets.allLinear(), 0, false));
        assertThrows(io.peft4j.tuning.SettingException.class, () -> Targets.regex("(unclosed"));
    }

    private static List<String> toList(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}

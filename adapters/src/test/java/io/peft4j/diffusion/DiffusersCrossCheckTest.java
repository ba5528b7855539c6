package io.peft4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * peft4j against diffusers 0.42.1 itself, on fixtures diffusion_reference.py makes at test time
 * (tiny SD1- and SDXL-shaped pipelines with random weights; LoRAs saved by diffusers and PEFT,
 * converted by diffusers' own convert_state_dict_to_kohya, and kohya files written as sd-scripts
 * writes them, LoCon and SDXL block names included). For every fixture: diffusers'
 * {@code load_lora_weights} + {@code fuse_lora} on the original and on each of peft4j's
 * conversions (and, for sd-scripts' files, a kohya -> PEFT -> diffusers chain) must give bit-identical weights in every
 * component, except exactly where {@link DiffusersQuirks} says diffusers 0.42.1 reads the original
 * otherwise than its layout means (those tensors must differ, and no other); peft4j's merge into
 * the model folder must equal diffusers' fuse of peft4j's diffusers conversion (whose metadata
 * gives every module its alpha) bit for bit where torch sums each delta in peft4j's order, within
 * the README's reorder bound elsewhere (the figures printed say which); and for a kohya file with alphas varying by module,
 * every fused delta must be {@code (alpha / r) up @ down} computed from the file itself.
 */
class DiffusersCrossCheckTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VARIED = "sd1-kohya-varied";

    @TempDir
    static Path temp;

    private static JsonNode results;
    private static JsonNode fixtures;
    /** Per fixture: the original and each conversion, read by peft4j. */
    private static final Map<String, Map<String, DiffusionLora>> LOADED = new LinkedHashMap<>();

    @BeforeAll
    static void runDiffusersOnEveryFixture() throws Exception {
        DiffusersPython.run("make", temp.toString());
        fixtures = JSON.readTree(temp.resolve("fixtures.json").toFile());
        ObjectNode request = JSON.createObjectNode();
        ArrayNode cases = request.putArray("cases");
        for (JsonNode fixture : fixtures) {
            String name = fixture.get("name").asText();
            Path lora = Path.of(fixture.get("lora").asText());
            Path model = Path.of(fixture.get("model").asText());
            Path dir = temp.resolve("converted").resolve(name);
            ObjectNode conversions = JSON.createObjectNode();
            conversions.put("diffusers", DiffusionConverter.convert(lora, Layout.DIFFUSERS, dir.resolve("diffusers")).out().toString());
            conversions.put("kohya", DiffusionConverter.convert(lora, Layout.KOHYA, dir.resolve("kohya.safetensors")).out().toString());
            conversions.put("peft", DiffusionConverter.convert(lora, Layout.PEFT, dir.resolve("peft")).out().toString());
            if (name.contains("kohya-locon") || name.contains("kohya-sgm")) {
                Path peftFromKohya = DiffusionConverter.convert(dir.resolve("kohya.safetensors"), Layout.PEFT, dir.resolve("kohya-peft")).out();
                conversions.put("kohya>peft>diffusers",
                        DiffusionConverter.convert(peftFromKohya, Layout.DIFFUSERS, dir.resolve("chain.safetensors")).out().toString());
            }
            Path merged = temp.resolve("merged").resolve(name);
            DiffusionMerger.merge(DiffusionMergeOptions.builder(model, merged).lora(lora, 1.0).build());
            ObjectNode c = cases.addObject();
            c.put("name", name).put("model", model.toString()).put("lora", lora.toString()).put("merged", merged.toString());
            c.set("conversions", conversions);
            c.put("kohya_semantics", name.equals(VARIED));
            Map<String, DiffusionLora> read = new LinkedHashMap<>();
            read.put("original", DiffusionLora.load(lora));
            conversions.properties().forEach(e -> read.put(e.getKey(), DiffusionLora.load(Path.of(e.getValue().asText()))));
            LOADED.put(name, read);
        }
        Path requestFile = temp.resolve("request.json");
        JSON.writeValue(requestFile.toFile(), request);
        DiffusersPython.run("check", requestFile.toString(), temp.resolve("result.json").toString());
        results = JSON.readTree(temp.resolve("result.json").toFile());
        print();
    }

    @Test
    void everyConversionFusesBitIdenticallyInDiffusersWhereDiffusersReadsTheOriginalAsMeant() {
        assertEquals(fixtures.size(), results.size());
        int departures = 0;
        for (JsonNode fixture : results) {
            String name = fixture.get("name").asText();
            Map<String, Double> original = diffusersScaling(lora(name));
            for (Map.Entry<String, JsonNode> conversion : fixture.get("conversions").properties()) {
                Map<String, Double> converted = diffusersScaling(LOADED.get(name).get(conversion.getKey()));
                Set<String> expected = new TreeSet<>();
                original.forEach((module, scaling) -> {
                    if (!(scaling.doubleValue() == converted.get(module).doubleValue())) {
                        expected.add(stateDictName(module));
                    }
                });
                Set<String> differing = new TreeSet<>();
                conversion.getValue().properties().forEach(component -> {
                    JsonNode c = component.getValue();
                    String what = name + " -> " + conversion.getKey() + ", " + component.getKey();
                    assertTrue(c.get("missing").isEmpty(), what + ": missing tensors " + c.get("missing"));
                    assertTrue(c.get("values").asLong() > 0, what);
                    c.get("differing").fieldNames().forEachRemaining(key -> differing.add(component.getKey() + " " + key));
                });
                assertEquals(expected, differing, name + " -> " + conversion.getKey()
                        + ": tensors where diffusers' fuse of the original and of the conversion differ");
                departures += expected.size();
            }
        }
        assertTrue(departures > 0, "no fixture exercises diffusers' departures any more");
    }

    @Test
    void mergeIntoTheModelFolderEqualsDiffusersFuse() {
        for (JsonNode fixture : results) {
            String name = fixture.get("name").asText();
            fixture.get("merged").properties().forEach(component -> {
                JsonNode c = component.getValue();
                String what = name + " merged, " + component.getKey();
                assertTrue(c.get("missing").isEmpty(), what + ": missing tensors " + c.get("missing"));
                // bit-identical where torch summed each delta in peft4j's order (every value on the CPUs measured),
                // within the reorder bound elsewhere: the README's promise for merges
                assertEquals(0, c.get("outside_bound").asLong(), what + " differs beyond the bound in " + c.get("differing"));
                if (c.get("equal").asLong() != c.get("values").asLong()) {
                    System.out.printf("%s: %d of %d values differ, within the reorder bound%n", what,
                            c.get("values").asLong() - c.get("equal").asLong(), c.get("values").asLong());
                }
            });
        }
    }

    @Test
    void alphaPerModuleIsKohyasAsAFusedDeltaShows() {
        JsonNode semantics = null;
        for (JsonNode fixture : results) {
            if (fixture.get("name").asText().equals(VARIED)) {
                semantics = fixture.get("kohya_semantics");
            }
        }
        assertTrue(semantics.get("ok").asBoolean(), "a fused delta is not (alpha / r) up @ down");
        assertTrue(semantics.get("modules").asInt() > 50);
        List<String> warnings = DiffusionInspection.of(lora(VARIED).path()).warnings();
        assertTrue(warnings.stream().anyMatch(w -> w.contains("attn1.to_q: diffusers 0.42.1 scales it by")), warnings.toString());
    }

    private static DiffusionLora lora(String name) {
        return LOADED.get(name).get("original");
    }

    private static Map<String, Double> diffusersScaling(DiffusionLora lora) {
        return DiffusersQuirks.diffusersScaling(lora);
    }

    /** {@code unet down_blocks....weight}: a module's weight as the Python side names it (te1 flattened). */
    private static String stateDictName(String qualified) {
        Component c = DiffusersLayout.componentOf(qualified);
        String name = qualified.substring(c.diffusersName().length() + 1);
        return c.diffusersName() + " " + (c == Component.TEXT_ENCODER ? ModuleNames.withoutTextModel(name) : name) + ".weight";
    }

    @AfterAll
    static void close() {
        LOADED.values().forEach(m -> m.values().forEach(DiffusionLora::close));
    }

    /** The figures of this run, for the record. */
    private static void print() {
        StringBuilder out = new StringBuilder("diffusers 0.42.1 vs peft4j (values equal / compared, largest difference in ulp):\n");
        for (JsonNode fixture : results) {
            String name = fixture.get("name").asText();
            fixture.get("conversions").properties().forEach(e -> out.append(row(name, "convert to " + e.getKey(), e.getValue())));
            out.append(row(name, "peft4j merge", fixture.get("merged")));
        }
        System.out.print(out);
    }

    private static String row(String fixture, String what, JsonNode components) {
        StringBuilder s = new StringBuilder();
        components.properties().forEach(c -> s.append(String.format(Locale.ROOT, "  %-32s %-28s %-15s %8d / %-8d %d ulp%n",
                fixture, what, c.getKey(), c.getValue().get("equal").asLong(), c.getValue().get("values").asLong(),
                c.getValue().get("max_ulp").asInt())));
        return s.toString();
    }
}

package io.peft4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.merge.SoupMethod;
import io.peft4j.merge.SoupOptions;
import io.peft4j.merge.SoupReport;
import io.peft4j.merge.ZipLoraLayer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ZipLoRA on diffusion LoRAs, judged inside diffusers: a subject and a style LoRA on the tiny SD1
 * UNet's attention, each reading its own band of input features with an overlap (diffusion_reference.py
 * make-zip), with calibration activations captured from the UNet running each LoRA's own
 * conditioning. peft4j's ZipLoRA (data-free, and with the activations) is written in diffusers'
 * layout, loaded and fused by diffusers, and scored per layer by ZipLoRA's objective
 * {@code sum_i ||(W - W_i) X_i||^2 / ||(W_i - W0) X_i||^2} against diffusers' own plain sum of the
 * two at weights 1 and 1, with {@code X_i} the calibration activations and, as the data-free form
 * assumes, an orthonormal basis of {@code lora_A_i}'s row space: each form must beat the sum on the
 * inputs it was given.
 */
class DiffusionZipLoraTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    @Test
    void zipLoraKeepsEachLorasEffectOnItsOwnInputsBetterThanThePlainSum() throws Exception {
        DiffusersPython.run("make-zip", temp.toString());
        Path subject = temp.resolve("subject.safetensors");
        Path style = temp.resolve("style.safetensors");
        SoupReport free = DiffusionSoup.soup(SoupOptions.builder(SoupMethod.ZIPLORA, temp.resolve("zip.safetensors"))
                .adapter(subject, 1).adapter(style, 1).build(), Layout.DIFFUSERS);
        SoupReport calibrated = DiffusionSoup.soup(SoupOptions.builder(SoupMethod.ZIPLORA, temp.resolve("zip-calibrated.safetensors"))
                .adapter(subject, 1).adapter(style, 1)
                .calibration(SoupOptions.readCalibration(temp.resolve("subject-activations.safetensors")))
                .calibration(SoupOptions.readCalibration(temp.resolve("style-activations.safetensors")))
                .build(), Layout.DIFFUSERS);
        for (SoupReport report : List.of(free, calibrated)) {
            assertEquals(32, report.layers().size());
            for (ZipLoraLayer layer : report.layers()) {
                assertTrue(layer.finalLoss() < layer.initialLoss(), layer.toString());
                // data-free, the inputs of each LoRA are its own row space: the mergers part the shared band
                // (the activations here excite every feature, so with them there is no band to part)
                assertTrue(report != free || layer.overlapAfter() < layer.overlapBefore() / 2, layer.toString());
            }
        }
        Map<String, Object> request = Map.of("model", temp.resolve("model").toString(),
                "loras", List.of(subject.toString(), style.toString()),
                "activations", List.of(temp.resolve("subject-activations.safetensors").toString(),
                        temp.resolve("style-activations.safetensors").toString()),
                "merged", Map.of("ziplora", free.out().toString(), "ziplora-calibrated", calibrated.out().toString()));
        Path requestFile = temp.resolve("zip-request.json");
        JSON.writeValue(requestFile.toFile(), request);
        DiffusersPython.run("zip-check", requestFile.toString(), temp.resolve("zip-result.json").toString());
        JsonNode result = JSON.readTree(temp.resolve("zip-result.json").toFile());
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "ZipLoRA objective per layer inside diffusers (each LoRA's own-input error, both summed; lower is better)%n"
                        + "  %-64s %9s %9s %9s | %9s %9s %9s%n  %-64s %29s | %29s%n", "layer", "sum", "ziplora", "calibr.",
                "sum", "ziplora", "calibr.", "", "on the calibration activations", "on each lora_A's row space"));
        double[] totals = new double[4];
        for (var e : result.get("activations").properties()) {
            JsonNode acts = e.getValue();
            JsonNode rows = result.get("row space").get(e.getKey());
            table.append(String.format(Locale.ROOT, "  %-64s %9.4f %9.4f %9.4f | %9.4f %9.4f %9.4f%n", e.getKey(),
                    acts.get("sum").asDouble(), acts.get("ziplora").asDouble(), acts.get("ziplora-calibrated").asDouble(),
                    rows.get("sum").asDouble(), rows.get("ziplora").asDouble(), rows.get("ziplora-calibrated").asDouble()));
            // each form beats the plain sum on the inputs it was given: with activations in every layer; data-free in
            // every layer where the sum interferes at all (where it does not, the overlap penalty costs a little)
            assertTrue(acts.get("ziplora-calibrated").asDouble() < acts.get("sum").asDouble(), e.getKey() + ": " + acts);
            assertTrue(rows.get("sum").asDouble() < 0.05 || rows.get("ziplora").asDouble() < rows.get("sum").asDouble(),
                    e.getKey() + ": " + rows);
            totals[0] += acts.get("sum").asDouble();
            totals[1] += acts.get("ziplora-calibrated").asDouble();
            totals[2] += rows.get("sum").asDouble();
            totals[3] += rows.get("ziplora").asDouble();
        }
        assertEquals(32, result.get("activations").size());
        table.append(String.format(Locale.ROOT, "  total: calibrated %.3f vs sum %.3f on the activations; data-free %.3f vs sum %.3f"
                + " on the row spaces%n", totals[1], totals[0], totals[3], totals[2]));
        System.out.print(table);
        assertTrue(totals[3] < totals[2], "data-free ZipLoRA " + totals[3] + " vs plain sum " + totals[2]);
    }
}

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
 * layout, loaded and fused by diffusers, and scored per layer by ZipLoRA's objective on those
 * activations, {@code sum_i ||(W - W_i) X_i||^2 / ||(W_i - W0) X_i||^2}, against diffusers' own
 * plain sum of the two at weights 1 and 1.
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
                assertTrue(layer.overlapAfter() < layer.overlapBefore(), layer.toString());
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
        JsonNode layers = JSON.readTree(temp.resolve("zip-result.json").toFile()).get("layers");
        assertEquals(32, layers.size());
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "ZipLoRA objective per layer inside diffusers (own-input error of both LoRAs; lower is better):%n  %-72s %10s %10s %10s%n",
                "layer", "sum", "ziplora", "calibrated"));
        double sum = 0;
        double zip = 0;
        for (var e : layers.properties()) {
            JsonNode row = e.getValue();
            table.append(String.format(Locale.ROOT, "  %-72s %10.4f %10.4f %10.4f%n", e.getKey(), row.get("sum").asDouble(),
                    row.get("ziplora").asDouble(), row.get("ziplora-calibrated").asDouble()));
            assertTrue(row.get("ziplora-calibrated").asDouble() < row.get("sum").asDouble(), e.getKey() + ": " + row);
            sum += row.get("sum").asDouble();
            zip += row.get("ziplora").asDouble();
        }
        System.out.print(table);
        assertTrue(zip < sum, "data-free ZipLoRA " + zip + " vs plain sum " + sum);
    }
}

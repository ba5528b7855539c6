package io.peft4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.merge.SoupMethod;
import io.peft4j.merge.SoupOptions;
import io.peft4j.merge.SoupReport;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Soups across layouts: modules matched by component and name whatever their spelling, the result in the layout asked for. */
class DiffusionSoupTest {

    private static final String Q = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";

    @TempDir
    Path temp;

    @Test
    void catAcrossKohyaAndDiffusersIsTheWeightedSumOfTheUpdates() {
        Path kohya = new TestFiles()
                .kohya("lora_unet_" + Q.replace('.', '_'), 4, 16, 16, 2.0)
                .kohya("lora_te_text_model_encoder_layers_0_mlp_fc1", 2, 16, 24, 8.0)
                .write(temp.resolve("kohya.safetensors"));
        Path diffusers = new TestFiles()
                .pair("unet." + Q + ".lora_A.weight", "unet." + Q + ".lora_B.weight", 2, 16, 16)
                .pair("unet.conv_out.lora_A.weight", "unet.conv_out.lora_B.weight", 2, 16, 16)
                .write(temp.resolve("pytorch_lora_weights.safetensors"));
        SoupReport report = DiffusionSoup.soup(SoupOptions.builder(SoupMethod.CAT, temp.resolve("soup"))
                .adapter(kohya, 0.5).adapter(diffusers, 2.0).build(), Layout.PEFT);
        assertEquals(6, report.rank());
        assertEquals(3, report.modules());
        try (DiffusionLora a = DiffusionLora.load(kohya); DiffusionLora b = DiffusionLora.load(diffusers);
             DiffusionLora soup = DiffusionLora.load(temp.resolve("soup"))) {
            assertEquals(Layout.PEFT, soup.layout());
            assertEquals(List.of(Component.UNET, Component.TEXT_ENCODER), List.copyOf(soup.byComponent().keySet()));
            float[] expected = sum(delta(a, "unet." + Q), 0.5f, delta(b, "unet." + Q), 2.0f);
            float[] got = delta(soup, "unet." + Q);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], got[i], 1e-5f * Math.max(1, Math.abs(expected[i])), "element " + i);
            }
            assertEquals(1.0, soup.module("text_encoder.text_model.encoder.layers.0.mlp.fc1").orElseThrow().scaling());
            assertTrue(soup.module("unet.conv_out").isPresent());
        }
    }

    private static float[] delta(DiffusionLora lora, String module) {
        return lora.module(module).orElseThrow().toLoraModule(module).deltaWeight();
    }

    private static float[] sum(float[] x, float wx, float[] y, float wy) {
        float[] s = new float[x.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = wx * x[i] + wy * y[i];
        }
        return s;
    }
}

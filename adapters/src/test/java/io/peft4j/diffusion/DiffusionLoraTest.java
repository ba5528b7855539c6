package io.peft4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.output.OutputExistsException;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading, layout detection, alpha per module, refusals and lossless conversion, on files spelled out here. */
class DiffusionLoraTest {

    private static final String Q = "down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q";

    @TempDir
    Path temp;

    private Path kohya() {
        return new TestFiles()
                .kohya("lora_unet_" + Q, 4, 16, 16, 2.0)
                .kohya("lora_unet_mid_block_attentions_0_proj_in", 2, 32, 32, null)
                .kohya("lora_unet_up_blocks_1_resnets_0_time_emb_proj", 4, 64, 32, 0.0)
                .kohya("lora_te_text_model_encoder_layers_0_self_attn_q_proj", 4, 16, 16, 1.0)
                .tensor("lora_unet_down_blocks_1_resnets_0_conv1.lora_down.weight", 8, 16, 3, 3)
                .tensor("lora_unet_down_blocks_1_resnets_0_conv1.lora_up.weight", 32, 8, 1, 1)
                .metadata("ss_network_dim", "4")
                .dtype(DType.F16)
                .write(temp.resolve("kohya.safetensors"));
    }

    @Test
    void readsKohyaWithAlphaPerModuleAsSdScriptsDefinesIt() {
        try (DiffusionLora lora = DiffusionLora.load(kohya())) {
            assertEquals(Layout.KOHYA, lora.layout());
            assertEquals(5, lora.modules().size());
            DiffusionModule q = lora.module("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q").orElseThrow();
            assertEquals(0.5, q.scaling()); // alpha 2 / r 4
            assertEquals(1.0, lora.module("unet.mid_block.attentions.0.proj_in").orElseThrow().scaling()); // no alpha: alpha = r
            assertEquals(1.0, lora.module("unet.up_blocks.1.resnets.0.time_emb_proj").orElseThrow().scaling()); // alpha 0: alpha = r
            DiffusionModule conv = lora.module("unet.down_blocks.1.resnets.0.conv1").orElseThrow();
            assertEquals(io.peft4j.peft.LayerKind.CONV2D, conv.kind());
            assertEquals(8, conv.rank());
            assertEquals(0.25, lora.module("text_encoder.text_model.encoder.layers.0.self_attn.q_proj").orElseThrow().scaling());
            assertEquals(Map.of("ss_network_dim", "4"), lora.metadata());
            assertEquals(List.of(Component.UNET, Component.TEXT_ENCODER), List.copyOf(lora.byComponent().keySet()));
        }
    }

    @Test
    void unknownKeysAreErrorsThatNameThem() {
        Path unknown = new TestFiles().kohya("lora_unet_down_blocks_0_attentions_0_norm", 4, 16, 16, 4.0).write(temp.resolve("a.safetensors"));
        DiffusionFormatException e = assertThrows(DiffusionFormatException.class, () -> DiffusionLora.load(unknown));
        assertTrue(e.getMessage().contains("lora_unet_down_blocks_0_attentions_0_norm.lora_down.weight"), e.getMessage());

        Path loha = new TestFiles().kohya("lora_unet_" + Q, 4, 16, 16, 4.0).tensor("lora_unet_" + Q + ".hada_w1_a", 16, 4)
                .write(temp.resolve("b.safetensors"));
        e = assertThrows(DiffusionFormatException.class, () -> DiffusionLora.load(loha));
        assertTrue(e.getMessage().contains(".hada_w1_a") && e.getMessage().contains("LoHa"), e.getMessage());

        Path mixed = new TestFiles().kohya("lora_unet_" + Q, 4, 16, 16, 4.0)
                .pair("unet.conv_in.lora_A.weight", "unet.conv_in.lora_B.weight", 4, 16, 16).write(temp.resolve("c.safetensors"));
        e = assertThrows(DiffusionFormatException.class, () -> DiffusionLora.load(mixed));
        assertTrue(e.getMessage().contains("unet.conv_in.lora_A.weight") && e.getMessage().contains("mixes layouts"), e.getMessage());

        Path half = new TestFiles().tensor("lora_unet_" + Q + ".lora_down.weight", 4, 16).write(temp.resolve("d.safetensors"));
        e = assertThrows(DiffusionFormatException.class, () -> DiffusionLora.load(half));
        assertTrue(e.getMessage().contains("no lora_up"), e.getMessage());

        Path peft = new TestFiles().pair("base_model.model.conv_in.lora_A.weight", "base_model.model.conv_in.lora_B.weight", 4, 16, 16)
                .write(temp.resolve("adapter_model.safetensors"));
        e = assertThrows(DiffusionFormatException.class, () -> DiffusionLora.load(peft));
        assertTrue(e.getMessage().contains("PEFT adapter"), e.getMessage());

        Path diffusersAlpha = new TestFiles().pair("unet.conv_in.lora_A.weight", "unet.conv_in.lora_B.weight", 4, 16, 16)
                .tensor("unet.conv_in.alpha").write(temp.resolve("e.safetensors"));
        e = assertThrows(DiffusionFormatException.class, () -> DiffusionLora.load(diffusersAlpha));
        assertTrue(e.getMessage().contains("unet.conv_in.alpha"), e.getMessage());
    }

    @Test
    void refusesPicklesAndExplainsEmptyFolders() throws IOException {
        Path bin = Files.writeString(temp.resolve("lora.bin"), "not read");
        assertTrue(assertThrows(DiffusionFormatException.class, () -> DiffusionLora.load(bin)).getMessage().contains("never"));
        Path empty = Files.createDirectories(temp.resolve("empty"));
        assertTrue(assertThrows(DiffusionFormatException.class, () -> DiffusionLora.load(empty)).getMessage()
                .contains("pytorch_lora_weights.safetensors"));
    }

    @Test
    void readsDiffusersSpellingsAndTheirMetadata() {
        String meta = "{\"unet.r\": 4, \"unet.lora_alpha\": 8, \"unet.alpha_pattern\": {\"proj_in\": 2},"
                + " \"unet.rank_pattern\": {\"proj_in\": 2}, \"text_encoder.r\": 4, \"text_encoder.lora_alpha\": 1}";
        Path file = new TestFiles()
                .pair("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora.down.weight",
                        "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora.up.weight", 4, 16, 16)
                .pair("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora.down.weight",
                        "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora.up.weight", 4, 16, 16)
                .pair("unet.mid_block.attentions.0.proj_in.lora_A.weight", "unet.mid_block.attentions.0.proj_in.lora_B.weight", 2, 32, 32)
                .pair("text_encoder.text_model.encoder.layers.0.self_attn.k_proj.lora_linear_layer.down.weight",
                        "text_encoder.text_model.encoder.layers.0.self_attn.k_proj.lora_linear_layer.up.weight", 4, 16, 16)
                .metadata(DiffusersLayout.METADATA_KEY, meta)
                .write(temp.resolve("pytorch_lora_weights.safetensors"));
        try (DiffusionLora lora = DiffusionLora.load(temp)) {
            assertEquals(Layout.DIFFUSERS, lora.layout());
            assertEquals(2.0, lora.module("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q").orElseThrow().scaling());
            assertEquals(2.0, lora.module("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0").orElseThrow().scaling());
            assertEquals(1.0, lora.module("unet.mid_block.attentions.0.proj_in").orElseThrow().scaling());
            assertEquals(0.25, lora.module("text_encoder.text_model.encoder.layers.0.self_attn.k_proj").orElseThrow().scaling());
            // the first UNet key (sorted) is not spelled lora_A: diffusers converts every spelling
            assertEquals(List.of(), lora.diffusersDepartures());
        }
        Path lowFirst = new TestFiles()
                .pair("unet.conv_in.lora_A.weight", "unet.conv_in.lora_B.weight", 4, 16, 16)
                .pair("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora.down.weight",
                        "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora.up.weight", 4, 16, 16)
                .write(temp.resolve("first-lora-a.safetensors"));
        try (DiffusionLora lora = DiffusionLora.load(lowFirst)) {
            // now it is, and diffusers 0.42.1 does not load the lora.down spelling
            assertEquals(1, lora.diffusersDepartures().size(), lora.diffusersDepartures().toString());
            assertTrue(lora.diffusersDepartures().getFirst().startsWith("unet down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q:"));
        }
    }

    @Test
    void everyLayoutHoldsAKohyaFileExactly() {
        Path source = kohya();
        for (Layout to : Layout.values()) {
            Path out = temp.resolve("out-" + to.cliName() + (to == Layout.PEFT ? "" : ".safetensors"));
            ConvertReport report = DiffusionConverter.convert(source, to, out);
            assertEquals(List.of(), report.losses());
            Path back = temp.resolve("back-" + to.cliName() + ".safetensors");
            DiffusionConverter.convert(out, Layout.KOHYA, back);
            try (DiffusionLora a = DiffusionLora.load(source); DiffusionLora b = DiffusionLora.load(out)) {
                assertEquals(a.modules().size(), b.modules().size());
                for (DiffusionModule m : a.modules()) {
                    DiffusionModule n = b.module(m.qualifiedName()).orElseThrow(() -> new AssertionError(to + " lost " + m.qualifiedName()));
                    assertEquals(m.scaling(), n.scaling(), to + " " + m.qualifiedName());
                    assertEquals(m.down().data().asByteBuffer(), n.down().data().asByteBuffer(), to + " " + m.qualifiedName());
                    assertEquals(m.up().data().asByteBuffer(), n.up().data().asByteBuffer(), to + " " + m.qualifiedName());
                    assertEquals(m.down().dtype(), n.down().dtype());
                }
                assertEquals(a.metadata(), b.metadata());
            }
            // the same keys, factors in their dtype (alpha values are compared above; through diffusers' metadata
            // or a PEFT config an alpha comes back as float32); alpha = r, implicit in the source, is written out
            // (diffusers reads a missing alpha otherwise)
            Map<String, String> written = keys(back);
            keys(source).forEach((key, spec) -> {
                String got = written.remove(key);
                assertEquals(key.endsWith(".alpha") ? "[]" : spec, key.endsWith(".alpha") ? got.substring(got.indexOf('[')) : got,
                        "kohya -> " + to + " -> kohya: " + key);
            });
            assertEquals(java.util.Set.of("lora_unet_down_blocks_1_resnets_0_conv1.alpha", "lora_unet_mid_block_attentions_0_proj_in.alpha"),
                    written.keySet(), "kohya -> " + to + " -> kohya");
        }
    }

    @Test
    void refusesWhatKohyaCannotHoldUnlessLossy() {
        Path rs = new TestFiles().pair("unet.conv_in.lora_A.weight", "unet.conv_in.lora_B.weight", 5, 16, 16)
                .metadata(DiffusersLayout.METADATA_KEY, "{\"unet.r\": 5, \"unet.lora_alpha\": 8, \"unet.use_rslora\": true}")
                .write(temp.resolve("rs.safetensors"));
        DiffusionFormatException e = assertThrows(DiffusionFormatException.class,
                () -> DiffusionConverter.convert(rs, Layout.KOHYA, temp.resolve("k.safetensors")));
        assertTrue(e.getMessage().contains("rsLoRA") && e.getMessage().contains("--lossy"), e.getMessage());
        assertTrue(Files.notExists(temp.resolve("k.safetensors")));
        ConvertReport lossy = DiffusionConverter.convert(rs, Layout.KOHYA, temp.resolve("k.safetensors"), true, 2);
        assertEquals(1, lossy.losses().size());
        ConvertReport exact = DiffusionConverter.convert(rs, Layout.PEFT, temp.resolve("p"));
        assertEquals(List.of(), exact.losses());
        try (DiffusionLora a = DiffusionLora.load(rs); DiffusionLora b = DiffusionLora.load(temp.resolve("p"))) {
            assertEquals(a.modules().getFirst().scaling(), b.modules().getFirst().scaling());
        }
    }

    @Test
    void followsTheOutputRuleOfEveryCommand() throws IOException {
        Path source = kohya();
        Path out = temp.resolve("out.safetensors");
        DiffusionConverter.convert(source, Layout.KOHYA, out);
        long size = Files.size(out);
        assertThrows(OutputExistsException.class, () -> DiffusionConverter.convert(source, Layout.DIFFUSERS, out));
        assertEquals(size, Files.size(out));
        DiffusionConverter.convert(source, Layout.DIFFUSERS, out, false, 2, true);
        try (DiffusionLora replaced = DiffusionLora.load(out)) {
            assertEquals(Layout.DIFFUSERS, replaced.layout());
        }
        assertThrows(OutputExistsException.class, () -> DiffusionConverter.convert(source, Layout.KOHYA, source, false, 2, true));
        DiffusionFormatException e = assertThrows(DiffusionFormatException.class,
                () -> DiffusionConverter.convert(source, Layout.KOHYA, temp.resolve("x.ckpt")));
        assertTrue(e.getMessage().contains(".safetensors"), e.getMessage());
        assertTrue(Files.notExists(temp.resolve("x.ckpt")));
    }

    private static Map<String, String> keys(Path file) {
        Map<String, String> keys = new TreeMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                keys.put(t.name(), t.dtype() + java.util.Arrays.toString(t.shape()));
            }
        }
        return keys;
    }
}

package io.peft4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The module grammar and the kohya/sgm spellings, on names taken from published SD 1.5 and SDXL LoRAs. */
class ModuleNamesTest {

    @Test
    void readsKohyaNamesOfSd15AndSdxlFiles() {
        assertEquals(Optional.of("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"),
                ModuleNames.unetFromKohya("down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q", 2));
        assertEquals(Optional.of("up_blocks.3.attentions.2.transformer_blocks.0.attn2.to_out.0"),
                ModuleNames.unetFromKohya("up_blocks_3_attentions_2_transformer_blocks_0_attn2_to_out_0", 2));
        assertEquals(Optional.of("mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj"),
                ModuleNames.unetFromKohya("mid_block_attentions_0_transformer_blocks_0_ff_net_0_proj", 2));
        assertEquals(Optional.of("down_blocks.1.resnets.0.conv_shortcut"), ModuleNames.unetFromKohya("down_blocks_1_resnets_0_conv_shortcut", 2));
        assertEquals(Optional.of("down_blocks.2.downsamplers.0.conv"), ModuleNames.unetFromKohya("down_blocks_2_downsamplers_0_conv", 2));
        assertEquals(Optional.of("time_embedding.linear_1"), ModuleNames.unetFromKohya("time_embedding_linear_1", 2));
        // SDXL as sd-scripts writes it: the original UNet's blocks, 2 layers per block
        assertEquals(Optional.of("down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q"),
                ModuleNames.unetFromKohya("input_blocks_4_1_transformer_blocks_0_attn1_to_q", 2));
        assertEquals(Optional.of("down_blocks.2.attentions.1.transformer_blocks.9.ff.net.2"),
                ModuleNames.unetFromKohya("input_blocks_8_1_transformer_blocks_9_ff_net_2", 2));
        assertEquals(Optional.of("mid_block.attentions.0.proj_in"), ModuleNames.unetFromKohya("middle_block_1_proj_in", 2));
        assertEquals(Optional.of("mid_block.resnets.1.conv2"), ModuleNames.unetFromKohya("middle_block_2_out_layers_3", 2));
        assertEquals(Optional.of("up_blocks.0.upsamplers.0.conv"), ModuleNames.unetFromKohya("output_blocks_2_2_conv", 2));
        assertEquals(Optional.of("up_blocks.1.resnets.2.time_emb_proj"), ModuleNames.unetFromKohya("output_blocks_5_0_emb_layers_1", 2));
        assertEquals(Optional.of("down_blocks.0.downsamplers.0.conv"), ModuleNames.unetFromKohya("input_blocks_3_0_op", 2));
        assertEquals(Optional.of("down_blocks.0.resnets.1.conv1"), ModuleNames.unetFromKohya("input_blocks_2_0_in_layers_2", 2));
        assertEquals(Optional.of("add_embedding.linear_2"), ModuleNames.unetFromKohya("label_emb_0_2", 2));
        assertEquals(Optional.of("conv_in"), ModuleNames.unetFromKohya("input_blocks_0_0", 2));
        assertEquals(Optional.of("conv_out"), ModuleNames.unetFromKohya("out_2", 2));
        assertEquals(Optional.of("text_model.encoder.layers.11.self_attn.out_proj"),
                ModuleNames.textFromKohya("text_model_encoder_layers_11_self_attn_out_proj"));
        assertEquals(Optional.of("text_model.encoder.layers.0.mlp.fc1"), ModuleNames.textFromKohya("encoder_layers_0_mlp_fc1"));
    }

    @Test
    void refusesWhatNoLoraTargets() {
        for (String body : List.of("down_blocks_0_attentions_0_norm", "down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_x",
                "input_blocks_0_0_in_layers_2", "input_blocks_3_0_in_layers_2", "conv_norm_out", "lora_unet_conv_in", "")) {
            assertEquals(Optional.empty(), ModuleNames.unetFromKohya(body, 2), body);
        }
        assertEquals(Optional.empty(), ModuleNames.textFromKohya("text_model_embeddings_token_embedding"));
        assertEquals(Optional.empty(), ModuleNames.text("text_model.encoder.layers.0.layer_norm1"));
    }

    @Test
    void sgmNamesRoundTripForEverySdxlModule() {
        int count = 0;
        for (String name : sdxlUnetModules()) {
            String sgm = ModuleNames.sgm(name, 2);
            assertEquals(Optional.of(name), ModuleNames.unet(sgm, 2), name + " -> " + sgm);
            assertEquals(Optional.of(name), ModuleNames.unetFromKohya(ModuleNames.kohya(sgm), 2), sgm);
            count++;
        }
        assertTrue(count > 700, "SDXL has " + count + " LoRA-able UNet modules here");
    }

    /** The LoRA-able modules of SDXL's UNet (3 levels, 2 layers per block, transformer depths 0/2/10). */
    private static List<String> sdxlUnetModules() {
        List<String> names = new java.util.ArrayList<>(List.of("conv_in", "conv_out", "time_embedding.linear_1",
                "time_embedding.linear_2", "add_embedding.linear_1", "add_embedding.linear_2"));
        int[] depth = {0, 2, 10};
        for (int b = 0; b < 3; b++) {
            for (int l = 0; l < 2; l++) {
                resnet(names, "down_blocks." + b + ".resnets." + l);
                attention(names, "down_blocks." + b + ".attentions." + l, depth[b]);
            }
            if (b < 2) {
                names.add("down_blocks." + b + ".downsamplers.0.conv");
            }
            for (int l = 0; l < 3; l++) {
                resnet(names, "up_blocks." + b + ".resnets." + l);
                attention(names, "up_blocks." + b + ".attentions." + l, depth[2 - b]);
            }
            if (b < 2) {
                names.add("up_blocks." + b + ".upsamplers.0.conv");
            }
        }
        resnet(names, "mid_block.resnets.0");
        resnet(names, "mid_block.resnets.1");
        attention(names, "mid_block.attentions.0", 10);
        return names;
    }

    private static void resnet(List<String> names, String prefix) {
        for (String tail : List.of("conv1", "conv2", "time_emb_proj", "conv_shortcut")) {
            names.add(prefix + "." + tail);
        }
    }

    private static void attention(List<String> names, String prefix, int depth) {
        if (depth == 0) {
            return;
        }
        names.add(prefix + ".proj_in");
        names.add(prefix + ".proj_out");
        for (int t = 0; t < depth; t++) {
            String block = prefix + ".transformer_blocks." + t;
            for (String attn : List.of("attn1", "attn2")) {
                for (String p : List.of("to_q", "to_k", "to_v", "to_out.0")) {
                    names.add(block + "." + attn + "." + p);
                }
            }
            names.add(block + ".ff.net.0.proj");
            names.add(block + ".ff.net.2");
        }
    }
}

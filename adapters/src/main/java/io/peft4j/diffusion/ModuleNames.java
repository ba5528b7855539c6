package io.peft4j.diffusion;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names of the modules a diffusion LoRA may change, and their spelling in each layout. The
 * canonical name of a module is its name in diffusers' {@code UNet2DConditionModel}
 * ({@code down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q}) or in the text encoder as
 * transformers 4 and checkpoints on disk name it ({@code text_model.encoder.layers.0.self_attn.q_proj},
 * {@code text_projection}).
 *
 * <p>Every name is checked against a grammar of the modules LoRA trainers target (attention
 * projections, feed-forward, {@code proj_in}/{@code proj_out}, resnet convolutions and time
 * projections, samplers, {@code conv_in}/{@code conv_out}, time and SDXL addition embeddings; CLIP
 * attention and MLP), so an unknown key is refused by name rather than skipped. The grammar also
 * decides which {@code _} of a kohya name stand for {@code .}: the kohya pattern is the grammar
 * with each separator captured, so the key's separators are known exactly, with no guessing from
 * substrings.
 *
 * <p>kohya's SDXL files name the UNet as the original (sgm) implementation does
 * ({@code input_blocks.4.1}, {@code middle_block.1}, {@code output_blocks.2.2.conv}); these map to
 * diffusers' blocks by the UNet's {@code layers_per_block} (2 for SD and SDXL).
 */
final class ModuleNames {

    private static final String ATTENTION_TAIL = "(?:proj_in|proj_out|transformer_blocks\\.\\d+\\."
            + "(?:attn[12]\\.(?:to_q|to_k|to_v|to_out\\.0)|ff\\.net\\.(?:0\\.proj|2)))";
    private static final String RESNET_TAIL = "(?:conv1|conv2|time_emb_proj|conv_shortcut)";
    private static final String SGM_RESNET_TAIL = "(?:in_layers\\.2|out_layers\\.3|emb_layers\\.1|skip_connection)";

    private static final Grammar UNET = Grammar.of(
            "conv_in|conv_out|time_embedding\\.linear_[12]|add_embedding\\.linear_[12]"
            + "|(?:down_blocks\\.\\d+|up_blocks\\.\\d+|mid_block)\\.resnets\\.\\d+\\." + RESNET_TAIL
            + "|(?:down_blocks\\.\\d+|up_blocks\\.\\d+|mid_block)\\.attentions\\.\\d+\\." + ATTENTION_TAIL
            + "|down_blocks\\.\\d+\\.downsamplers\\.0\\.conv|up_blocks\\.\\d+\\.upsamplers\\.0\\.conv");

    private static final Grammar SGM_UNET = Grammar.of(
            "input_blocks\\.0\\.0|out\\.2|time_embed\\.[02]|label_emb\\.0\\.[02]"
            + "|(?:input_blocks\\.\\d+\\.0|middle_block\\.[02]|output_blocks\\.\\d+\\.0)\\." + SGM_RESNET_TAIL
            + "|(?:input_blocks\\.\\d+|middle_block|output_blocks\\.\\d+)\\.1\\." + ATTENTION_TAIL
            + "|input_blocks\\.\\d+\\.0\\.op|output_blocks\\.\\d+\\.[12]\\.conv");

    private static final Grammar TEXT = Grammar.of(
            "(?:text_model\\.)?encoder\\.layers\\.\\d+\\.(?:self_attn\\.(?:q_proj|k_proj|v_proj|out_proj)|mlp\\.(?:fc1|fc2))"
            + "|text_projection");

    private static final Pattern SGM_BLOCK = Pattern.compile("(input_blocks|output_blocks)\\.(\\d+)\\.(\\d)\\.(.+)");
    private static final Pattern SGM_MIDDLE = Pattern.compile("middle_block\\.(\\d)\\.(.+)");
    private static final String TEXT_MODEL = "text_model.";
    private static final String[][] SGM_FIXED = {
        {"input_blocks.0.0", "conv_in"}, {"out.2", "conv_out"},
        {"time_embed.0", "time_embedding.linear_1"}, {"time_embed.2", "time_embedding.linear_2"},
        {"label_emb.0.0", "add_embedding.linear_1"}, {"label_emb.0.2", "add_embedding.linear_2"},
    };

    private ModuleNames() {}

    /** The canonical UNet module for a dotted diffusers or sgm name, if it is one. */
    static Optional<String> unet(String dotted, int layersPerBlock) {
        if (UNET.matchesDotted(dotted)) {
            return Optional.of(dotted);
        }
        return SGM_UNET.matchesDotted(dotted) ? fromSgm(dotted, layersPerBlock) : Optional.empty();
    }

    /** The canonical UNet module for the part of a kohya key after {@code lora_unet_}, if it is one. */
    static Optional<String> unetFromKohya(String body, int layersPerBlock) {
        Optional<String> diffusers = UNET.fromKohya(body);
        if (diffusers.isPresent()) {
            return diffusers;
        }
        return SGM_UNET.fromKohya(body).flatMap(sgm -> fromSgm(sgm, layersPerBlock));
    }

    /** The canonical text-encoder module for a dotted name (with or without {@code text_model.}), if it is one. */
    static Optional<String> text(String dotted) {
        return TEXT.matchesDotted(dotted) ? Optional.of(withTextModel(dotted)) : Optional.empty();
    }

    /** The canonical text-encoder module for the part of a kohya key after {@code lora_te*_}, if it is one. */
    static Optional<String> textFromKohya(String body) {
        return TEXT.fromKohya(body).map(ModuleNames::withTextModel);
    }

    /** The canonical module of {@code component} for a dotted name, if it is one. */
    static Optional<String> canonical(Component component, String dotted, int layersPerBlock) {
        return component.isTextEncoder() ? text(dotted) : unet(dotted, layersPerBlock);
    }

    /** The kohya spelling of a canonical name: every {@code .} becomes {@code _}. */
    static String kohya(String canonical) {
        return canonical.replace('.', '_');
    }

    /**
     * A text-encoder name without {@code text_model.}: the module's name in transformers 5's
     * flattened {@code CLIPTextModel}, and a suffix of its name in every other version, so
     * PEFT's matching of {@code target_modules} and patterns finds it in either.
     */
    static String withoutTextModel(String canonical) {
        return canonical.startsWith(TEXT_MODEL) ? canonical.substring(TEXT_MODEL.length()) : canonical;
    }

    /**
     * The module's name in the component model as transformers 5.x builds it, which is what PEFT
     * adapter folders must use (PEFT matches saved keys exactly): {@code CLIPTextModel} (the first
     * text encoder) is flattened ({@code encoder.layers...}), {@code CLIPTextModelWithProjection}
     * (SDXL's second) keeps {@code text_model.}.
     */
    static String peftName(Component component, String canonical) {
        return component == Component.TEXT_ENCODER ? withoutTextModel(canonical) : canonical;
    }

    /**
     * The original (sgm) UNet's name of a canonical UNet module, as sd-scripts names SDXL modules
     * (SDXL's up blocks with an upsampler all have attention, so it sits at index 2).
     */
    static String sgm(String canonical, int layersPerBlock) {
        for (String[] pair : SGM_FIXED) {
            if (pair[1].equals(canonical)) {
                return pair[0];
            }
        }
        int perBlock = layersPerBlock + 1;
        String[] p = canonical.split("\\.", 5);
        if (p[0].equals("mid_block")) {
            int index = Integer.parseInt(p[2]);
            String tail = canonical.substring(("mid_block." + p[1] + "." + p[2] + ".").length());
            return p[1].equals("attentions") ? "middle_block.1." + tail : "middle_block." + 2 * index + "." + sgmTail(tail);
        }
        int block = Integer.parseInt(p[1]);
        int index = Integer.parseInt(p[3]);
        String tail = p.length > 4 ? p[4] : "";
        boolean down = p[0].equals("down_blocks");
        switch (p[2]) {
            case "downsamplers": return "input_blocks." + (block + 1) * perBlock + ".0.op";
            case "upsamplers": return "output_blocks." + (block * perBlock + layersPerBlock) + ".2.conv";
            default: break;
        }
        int position = down ? 1 + block * perBlock + index : block * perBlock + index;
        String inner = p[2].equals("resnets") ? ".0." + sgmTail(tail) : ".1." + tail;
        return (down ? "input_blocks." : "output_blocks.") + position + inner;
    }

    private static String sgmTail(String tail) {
        return switch (tail) {
            case "conv1" -> "in_layers.2";
            case "conv2" -> "out_layers.3";
            case "time_emb_proj" -> "emb_layers.1";
            case "conv_shortcut" -> "skip_connection";
            default -> tail;
        };
    }

    private static String withTextModel(String dotted) {
        return dotted.startsWith("encoder.") ? TEXT_MODEL + dotted : dotted;
    }

    /** Maps a dotted sgm UNet name to diffusers' blocks. */
    private static Optional<String> fromSgm(String sgm, int layersPerBlock) {
        for (String[] pair : SGM_FIXED) {
            if (pair[0].equals(sgm)) {
                return Optional.of(pair[1]);
            }
        }
        int perBlock = layersPerBlock + 1;
        Matcher middle = SGM_MIDDLE.matcher(sgm);
        if (middle.matches()) {
            int index = Integer.parseInt(middle.group(1));
            String place = index == 1 ? "attentions.0" : "resnets." + index / 2;
            return Optional.of("mid_block." + place + "." + resnetTail(middle.group(2)));
        }
        Matcher m = SGM_BLOCK.matcher(sgm);
        if (!m.matches()) {
            return Optional.empty();
        }
        boolean input = m.group(1).equals("input_blocks");
        int index = Integer.parseInt(m.group(2));
        int inner = Integer.parseInt(m.group(3));
        String tail = m.group(4);
        if (input) {
            int block = (index - 1) / perBlock;
            int layer = (index - 1) % perBlock;
            if (tail.equals("op")) {
                return index % perBlock == 0 && index > 0
                        ? Optional.of("down_blocks." + (index / perBlock - 1) + ".downsamplers.0.conv") : Optional.empty();
            }
            if (index == 0 || layer == layersPerBlock) {
                return Optional.empty();
            }
            return Optional.of("down_blocks." + block + (inner == 0 ? ".resnets." : ".attentions.") + layer + "."
                    + resnetTail(tail));
        }
        int block = index / perBlock;
        int layer = index % perBlock;
        if (tail.equals("conv")) {
            return Optional.of("up_blocks." + block + ".upsamplers.0.conv");
        }
        return Optional.of("up_blocks." + block + (inner == 0 ? ".resnets." : ".attentions.") + layer + "." + resnetTail(tail));
    }

    private static String resnetTail(String tail) {
        return switch (tail) {
            case "in_layers.2" -> "conv1";
            case "out_layers.3" -> "conv2";
            case "emb_layers.1" -> "time_emb_proj";
            case "skip_connection" -> "conv_shortcut";
            default -> tail;
        };
    }

    /**
     * A regular grammar of dotted module names, and the same grammar over kohya's spelling with
     * each separator captured, so that parsing a kohya name tells which {@code _} are separators.
     * The dotted regex must use only non-capturing groups.
     */
    private record Grammar(Pattern dotted, Pattern kohya) {

        static Grammar of(String dottedRegex) {
            return new Grammar(Pattern.compile(dottedRegex), Pattern.compile(dottedRegex.replace("\\.", "(_)")));
        }

        boolean matchesDotted(String name) {
            return dotted.matcher(name).matches();
        }

        Optional<String> fromKohya(String body) {
            Matcher m = kohya.matcher(body);
            if (!m.matches()) {
                return Optional.empty();
            }
            char[] chars = body.toCharArray();
            for (int g = 1; g <= m.groupCount(); g++) {
                if (m.start(g) >= 0) {
                    chars[m.start(g)] = '.';
                }
            }
            return Optional.of(new String(chars));
        }
    }
}

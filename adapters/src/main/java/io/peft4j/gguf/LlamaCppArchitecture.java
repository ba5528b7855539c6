package io.peft4j.gguf;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The transformers architectures whose LoRA adapters peft4j converts to llama.cpp's GGUF, with
 * llama.cpp's name for each module a LoRA adapter can target, as its {@code gguf-py}
 * ({@code constants.py} {@code TENSOR_NAMES}, {@code tensor_mapping.py}) and its converter
 * ({@code conversion/llama.py}, {@code qwen.py}, {@code gemma.py}, {@code gpt2.py}) map them.
 * Only modules whose weight llama.cpp multiplies through its LoRA path ({@code build_lora_mm},
 * {@code build_inp_embd}) are listed; for any other target llama.cpp has no tensor.
 */
public enum LlamaCppArchitecture {
    /** Llama and Mistral: q and k rows permuted for llama.cpp's rotary layout. */
    LLAMA("llama", true, Head.UNTIED_UNLESS_CONFIG_SAYS, Names.LLAMA, "LlamaForCausalLM", "MistralForCausalLM"),
    /** Qwen2 (and Qwen2.5). */
    QWEN2("qwen2", false, Head.UNTIED_UNLESS_CONFIG_SAYS, Names.LLAMA, "Qwen2ForCausalLM"),
    /** Qwen3 (dense). */
    QWEN3("qwen3", false, Head.UNTIED_UNLESS_CONFIG_SAYS, Names.LLAMA, "Qwen3ForCausalLM"),
    /** Gemma: llama.cpp always uses the token embedding as the output head. */
    GEMMA("gemma", false, Head.ALWAYS_TIED, Names.LLAMA, "GemmaForCausalLM"),
    /** Gemma 2: llama.cpp always uses the token embedding as the output head. */
    GEMMA2("gemma2", false, Head.ALWAYS_TIED, Names.LLAMA, "Gemma2ForCausalLM"),
    /** GPT-2: Conv1D layers, fused q/k/v, embeddings tied to the head unless the config says otherwise. */
    GPT2("gpt2", false, Head.TIED_UNLESS_CONFIG_SAYS, Names.GPT2, "GPT2LMHeadModel");

    /**
     * Whether llama.cpp's model has an output tensor of its own or uses the token embedding
     * ({@code TENSOR_DUPLICATED} under the name {@code token_embd.weight}), as its model loader
     * decides; {@code config.json}'s {@code tie_word_embeddings} decides where llama.cpp lets it.
     */
    enum Head {
        /** Untied unless {@code tie_word_embeddings} is true. */
        UNTIED_UNLESS_CONFIG_SAYS,
        /** Tied unless {@code tie_word_embeddings} is false (transformers' default is true). */
        TIED_UNLESS_CONFIG_SAYS,
        /** Always tied, whatever the config says. */
        ALWAYS_TIED
    }

    private final String ggufName;
    private final boolean permutesQk;
    private final Head head;
    private final List<Names.Pair> names;
    private final List<String> transformersClasses;

    LlamaCppArchitecture(String ggufName, boolean permutesQk, Head head, List<Names.Pair> names, String... transformersClasses) {
        this.ggufName = ggufName;
        this.permutesQk = permutesQk;
        this.head = head;
        this.names = names;
        this.transformersClasses = List.of(transformersClasses);
    }

    /** The value of {@code general.architecture}. */
    public String ggufName() {
        return ggufName;
    }

    /** The transformers classes ({@code config.json} {@code architectures}) converted as this architecture. */
    public List<String> transformersClasses() {
        return transformersClasses;
    }

    /** Whether llama.cpp's converter permutes the rows of q and k ({@code LlamaModel.permute}). */
    public boolean permutesQk() {
        return permutesQk;
    }

    /** Whether llama.cpp's output head is the token embedding, given {@code tie_word_embeddings} (null when absent). */
    boolean tiedHead(Boolean tieWordEmbeddings) {
        return switch (head) {
            case ALWAYS_TIED -> true;
            case TIED_UNLESS_CONFIG_SAYS -> tieWordEmbeddings == null || tieWordEmbeddings;
            case UNTIED_UNLESS_CONFIG_SAYS -> tieWordEmbeddings != null && tieWordEmbeddings;
        };
    }

    /** The architecture of a transformers class name, if peft4j converts it. */
    public static Optional<LlamaCppArchitecture> ofTransformersClass(String name) {
        return Arrays.stream(values()).filter(a -> a.transformersClasses.contains(name)).findFirst();
    }

    /** The architecture whose {@code general.architecture} is {@code ggufName}, if peft4j converts it. */
    public static Optional<LlamaCppArchitecture> ofGgufName(String ggufName) {
        return Arrays.stream(values()).filter(a -> a.ggufName.equals(ggufName)).findFirst();
    }

    /** Every transformers class peft4j converts. */
    public static List<String> supportedClasses() {
        return Arrays.stream(values()).flatMap(a -> a.transformersClasses.stream()).toList();
    }

    /**
     * llama.cpp's name of the weight of transformers module {@code module} (e.g.
     * {@code model.layers.3.self_attn.q_proj} to {@code blk.3.attn_q.weight}), if it has one.
     */
    public Optional<Target> target(String module) {
        for (Names.Pair pair : names) {
            Matcher m = pair.hf().matcher(module);
            if (m.matches()) {
                String layer = m.groupCount() > 0 ? m.group(1) : null;
                return Optional.of(new Target(module, pair.gguf().replace("{bid}", layer == null ? "" : layer) + ".weight",
                        pair.role(), layer == null ? -1 : Integer.parseInt(layer)));
            }
        }
        return Optional.empty();
    }

    /** The transformers module whose weight llama.cpp calls {@code weight} (e.g. {@code blk.3.attn_q.weight}), if any. */
    public Optional<Target> module(String weight) {
        for (Names.Pair pair : names) {
            Matcher m = pair.ggufPattern().matcher(weight);
            if (m.matches()) {
                String layer = m.groupCount() > 0 ? m.group(1) : null;
                return Optional.of(new Target(pair.hfTemplate().replace("{bid}", layer == null ? "" : layer), weight,
                        pair.role(), layer == null ? -1 : Integer.parseInt(layer)));
            }
        }
        return Optional.empty();
    }

    /**
     * A module and llama.cpp's name for its weight.
     *
     * @param module the transformers module name
     * @param weight llama.cpp's tensor name of its weight, e.g. {@code blk.0.attn_q.weight}
     * @param role what the module is
     * @param layer its layer (block) index, or -1 for modules outside the layers
     */
    public record Target(String module, String weight, Role role, int layer) {
    }

    /** What a module is, where that changes how its factors are laid out. */
    public enum Role {
        /** The token embedding: llama.cpp looks rows of {@code lora_a} up by token. */
        EMBEDDING,
        /** The attention query projection (row-permuted on Llama). */
        QUERY,
        /** The attention key projection (row-permuted on Llama, with the KV head count). */
        KEY,
        /** The output head. */
        HEAD,
        /** Any other projection. */
        PROJECTION
    }

    /** The name tables. */
    private static final class Names {

        record Pair(String hfTemplate, String gguf, Role role, Pattern hf, Pattern ggufPattern) {
            Pair(String hfTemplate, String gguf, Role role) {
                this(hfTemplate, gguf, role, pattern(hfTemplate), pattern(gguf + ".weight"));
            }

            private static Pattern pattern(String template) {
                return Pattern.compile(Pattern.quote(template).replace("{bid}", "\\E(0|[1-9][0-9]{0,5})\\Q"));
            }
        }

        static final List<Pair> LLAMA = List.of(
                new Pair("model.embed_tokens", "token_embd", Role.EMBEDDING),
                new Pair("lm_head", "output", Role.HEAD),
                new Pair("model.layers.{bid}.self_attn.q_proj", "blk.{bid}.attn_q", Role.QUERY),
                new Pair("model.layers.{bid}.self_attn.k_proj", "blk.{bid}.attn_k", Role.KEY),
                new Pair("model.layers.{bid}.self_attn.v_proj", "blk.{bid}.attn_v", Role.PROJECTION),
                new Pair("model.layers.{bid}.self_attn.o_proj", "blk.{bid}.attn_output", Role.PROJECTION),
                new Pair("model.layers.{bid}.mlp.gate_proj", "blk.{bid}.ffn_gate", Role.PROJECTION),
                new Pair("model.layers.{bid}.mlp.up_proj", "blk.{bid}.ffn_up", Role.PROJECTION),
                new Pair("model.layers.{bid}.mlp.down_proj", "blk.{bid}.ffn_down", Role.PROJECTION));

        static final List<Pair> GPT2 = List.of(
                new Pair("transformer.wte", "token_embd", Role.EMBEDDING),
                new Pair("lm_head", "output", Role.HEAD),
                new Pair("transformer.h.{bid}.attn.c_attn", "blk.{bid}.attn_qkv", Role.PROJECTION),
                new Pair("transformer.h.{bid}.attn.c_proj", "blk.{bid}.attn_output", Role.PROJECTION),
                new Pair("transformer.h.{bid}.mlp.c_fc", "blk.{bid}.ffn_up", Role.PROJECTION),
                new Pair("transformer.h.{bid}.mlp.c_proj", "blk.{bid}.ffn_down", Role.PROJECTION));
    }
}

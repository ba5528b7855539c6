package io.peft4j.estimate;

import io.peft4j.estimate.ModuleShape.Input;
import java.util.List;
import java.util.Map;

/**
 * The parameter tables of the supported transformers families, read off their modeling code
 * (transformers 5.18): which modules each block has, their sizes from the config, their bias flags
 * and each config field's default when {@code config.json} leaves it out.
 */
final class ModelFamilies {

    /** The {@code model_type}s peft4j can estimate. */
    static final List<String> SUPPORTED =
            List.of("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi", "phi3", "gpt2", "opt", "bert");

    /** transformers' defaults: vocab, hidden, intermediate, layers, heads, kv heads (0: = heads), head_dim (0: hidden/heads). */
    private record Defaults(long vocab, long hidden, long intermediate, long layers, long heads, long kvHeads,
                            long headDim, boolean tied) {
    }

    private static final Map<String, Defaults> DECODER_DEFAULTS = Map.of(
            "llama", new Defaults(32000, 4096, 11008, 32, 32, 0, 0, false),
            "mistral", new Defaults(32000, 4096, 14336, 32, 32, 8, 0, false),
            "qwen2", new Defaults(151936, 4096, 22016, 32, 32, 32, 0, false),
            "qwen3", new Defaults(151936, 4096, 22016, 32, 32, 32, 128, false),
            "gemma", new Defaults(256000, 3072, 24576, 28, 16, 16, 256, true),
            "gemma2", new Defaults(256000, 2304, 9216, 26, 8, 4, 256, true),
            "phi", new Defaults(51200, 2048, 8192, 24, 32, 0, 0, false),
            "phi3", new Defaults(32064, 3072, 8192, 32, 32, 0, 0, false));

    private ModelFamilies() {}

    static ModelShapes build(ConfigJson config) {
        String type = config.requiredString("model_type");
        return switch (type) {
            case "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2" -> llamaLike(config, type);
            case "phi" -> phi(config);
            case "phi3" -> phi3(config);
            case "gpt2" -> gpt2(config);
            case "opt" -> opt(config);
            case "bert" -> bert(config);
            default -> throw new EstimateException(config.source() + ": model_type '" + type
                    + "' is not supported (supported: " + String.join(", ", SUPPORTED) + ")");
        };
    }

    /** The sizes shared by the Llama-style decoders. */
    private record DecoderSizes(long vocab, long hidden, long intermediate, long layers, long heads, long kvHeads,
                                long headDim, boolean tied) {
        static DecoderSizes read(ConfigJson config, String type) {
            Defaults d = DECODER_DEFAULTS.get(type);
            long hidden = config.integer("hidden_size", d.hidden());
            long heads = config.integer("num_attention_heads", d.heads());
            long kvHeads = config.integer("num_key_value_heads", d.kvHeads() == 0 ? heads : d.kvHeads());
            long headDim = config.integer("head_dim", d.headDim() == 0 ? hidden / heads : d.headDim());
            return new DecoderSizes(config.integer("vocab_size", d.vocab()), hidden,
                    config.integer("intermediate_size", d.intermediate()),
                    config.integer("num_hidden_layers", d.layers()), heads, kvHeads, headDim,
                    config.bool("tie_word_embeddings", d.tied()));
        }

        long queryDim() {
            return heads * headDim;
        }

        long keyValueDim() {
            return kvHeads * headDim;
        }
    }

    /** Llama, Mistral, Qwen2, Qwen3, Gemma and Gemma 2: RMSNorm, gated MLP, separate q/k/v. */
    private static ModelShapes llamaLike(ConfigJson config, String type) {
        DecoderSizes s = DecoderSizes.read(config, type);
        boolean attentionBias = !type.equals("mistral") && config.bool("attention_bias", false);
        boolean qkvBias = type.equals("qwen2") || attentionBias;
        boolean outBias = !type.equals("qwen2") && attentionBias;
        boolean mlpBias = type.equals("llama") && config.bool("mlp_bias", false);
        boolean qkNorm = type.equals("qwen3");
        int norms = type.equals("gemma2") ? 4 : 2;
        var b = new ShapesBuilder();
        b.embedding("model.embed_tokens", s.vocab(), s.hidden());
        for (long l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            b.linear(p + "self_attn.q_proj", s.hidden(), s.queryDim(), qkvBias, Input.ATTENTION_IN);
            b.linear(p + "self_attn.k_proj", s.hidden(), s.keyValueDim(), qkvBias, Input.ATTENTION_IN);
            b.linear(p + "self_attn.v_proj", s.hidden(), s.keyValueDim(), qkvBias, Input.ATTENTION_IN);
            b.linear(p + "self_attn.o_proj", s.queryDim(), s.hidden(), outBias, Input.ATTENTION_OUT);
            if (qkNorm) {
                b.norm(p + "self_attn.q_norm", s.headDim(), false);
                b.norm(p + "self_attn.k_norm", s.headDim(), false);
            }
            b.linear(p + "mlp.gate_proj", s.hidden(), s.intermediate(), mlpBias, Input.MLP_IN);
            b.linear(p + "mlp.up_proj", s.hidden(), s.intermediate(), mlpBias, Input.MLP_IN);
            b.linear(p + "mlp.down_proj", s.intermediate(), s.hidden(), mlpBias, Input.MLP_OUT);
            b.norm(p + "input_layernorm", s.hidden(), false);
            b.norm(p + "post_attention_layernorm", s.hidden(), false);
            if (norms == 4) {
                b.norm(p + "pre_feedforward_layernorm", s.hidden(), false);
                b.norm(p + "post_feedforward_layernorm", s.hidden(), false);
            }
        }
        b.norm("model.norm", s.hidden(), false);
        lmHead(b, s.vocab(), s.hidden(), s.tied(), false);
        return b.build(new Architecture(type, s.layers(), s.hidden(), s.queryDim(), s.keyValueDim(),
                s.intermediate(), s.vocab(), norms, true, qkNorm, 3, false), "lm_head");
    }

    /** Phi (1, 1.5, 2): one LayerNorm feeding attention and MLP in parallel, biases everywhere. */
    private static ModelShapes phi(ConfigJson config) {
        DecoderSizes s = DecoderSizes.read(config, "phi");
        boolean qkNorm = config.bool("qk_layernorm", false);
        var b = new ShapesBuilder();
        b.embedding("model.embed_tokens", s.vocab(), s.hidden());
        for (long l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            b.linear(p + "self_attn.q_proj", s.hidden(), s.queryDim(), true, Input.ATTENTION_IN);
            b.linear(p + "self_attn.k_proj", s.hidden(), s.keyValueDim(), true, Input.ATTENTION_IN);
            b.linear(p + "self_attn.v_proj", s.hidden(), s.keyValueDim(), true, Input.ATTENTION_IN);
            b.linear(p + "self_attn.dense", s.queryDim(), s.hidden(), true, Input.ATTENTION_OUT);
            if (qkNorm) {
                b.norm(p + "self_attn.q_layernorm", s.hidden() / s.heads(), true);
                b.norm(p + "self_attn.k_layernorm", s.hidden() / s.heads(), true);
            }
            b.linear(p + "mlp.fc1", s.hidden(), s.intermediate(), true, Input.ATTENTION_IN);
            b.linear(p + "mlp.fc2", s.intermediate(), s.hidden(), true, Input.MLP_OUT);
            b.norm(p + "input_layernorm", s.hidden(), true);
        }
        b.norm("model.final_layernorm", s.hidden(), true);
        lmHead(b, s.vocab(), s.hidden(), s.tied(), true);
        return b.build(new Architecture("phi", s.layers(), s.hidden(), s.queryDim(), s.keyValueDim(),
                s.intermediate(), s.vocab(), 1, false, qkNorm,
                plainMlpInternals(config.string("hidden_act", "gelu_new")),
                isRelu(config.string("hidden_act", "gelu_new"))), "lm_head");
    }

    /** Phi-3: fused qkv_proj and gate_up_proj, RMSNorm, no biases. */
    private static ModelShapes phi3(ConfigJson config) {
        DecoderSizes s = DecoderSizes.read(config, "phi3");
        var b = new ShapesBuilder();
        b.embedding("model.embed_tokens", s.vocab(), s.hidden());
        for (long l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            b.linear(p + "self_attn.o_proj", s.queryDim(), s.hidden(), false, Input.ATTENTION_OUT);
            b.linear(p + "self_attn.qkv_proj", s.hidden(), s.queryDim() + 2 * s.keyValueDim(), false,
                    Input.ATTENTION_IN);
            b.linear(p + "mlp.gate_up_proj", s.hidden(), 2 * s.intermediate(), false, Input.MLP_IN);
            b.linear(p + "mlp.down_proj", s.intermediate(), s.hidden(), false, Input.MLP_OUT);
            b.norm(p + "input_layernorm", s.hidden(), false);
            b.norm(p + "post_attention_layernorm", s.hidden(), false);
        }
        b.norm("model.norm", s.hidden(), false);
        lmHead(b, s.vocab(), s.hidden(), s.tied(), false);
        return b.build(new Architecture("phi3", s.layers(), s.hidden(), s.queryDim(), s.keyValueDim(),
                s.intermediate(), s.vocab(), 2, true, false, 3, false), "lm_head");
    }

    /** GPT-2: Conv1D projections (weights {@code [in, out]}), learned positions, tied LM head. */
    private static ModelShapes gpt2(ConfigJson config) {
        long vocab = config.integer("vocab_size", 50257);
        long hidden = config.integer("n_embd", 768);
        long layers = config.integer("n_layer", 12);
        long inner = config.integer("n_inner", 4 * hidden);
        long positions = config.integer("n_positions", 1024);
        boolean tied = config.bool("tie_word_embeddings", true);
        String act = config.string("activation_function", "gelu_new");
        var b = new ShapesBuilder();
        b.embedding("transformer.wte", vocab, hidden);
        b.embedding("transformer.wpe", positions, hidden);
        for (long l = 0; l < layers; l++) {
            String p = "transformer.h." + l + ".";
            b.norm(p + "ln_1", hidden, true);
            b.conv1d(p + "attn.c_attn", hidden, 3 * hidden, Input.ATTENTION_IN);
            b.conv1d(p + "attn.c_proj", hidden, hidden, Input.ATTENTION_OUT);
            b.norm(p + "ln_2", hidden, true);
            b.conv1d(p + "mlp.c_fc", hidden, inner, Input.MLP_IN);
            b.conv1d(p + "mlp.c_proj", inner, hidden, Input.MLP_OUT);
        }
        b.norm("transformer.ln_f", hidden, true);
        lmHead(b, vocab, hidden, tied, false);
        return b.build(new Architecture("gpt2", layers, hidden, hidden, hidden, inner, vocab, 2, false, false,
                plainMlpInternals(act), isRelu(act)), "lm_head");
    }

    /** OPT: learned positions offset by 2, optional project_in/out, LayerNorm before or after. */
    private static ModelShapes opt(ConfigJson config) {
        long vocab = config.integer("vocab_size", 50272);
        long hidden = config.integer("hidden_size", 768);
        long ffn = config.integer("ffn_dim", 3072);
        long layers = config.integer("num_hidden_layers", 12);
        long positions = config.integer("max_position_embeddings", 2048);
        long proj = config.integer("word_embed_proj_dim", hidden);
        boolean bias = config.bool("enable_bias", true);
        boolean affine = config.bool("layer_norm_elementwise_affine", true);
        boolean finalNorm = config.bool("do_layer_norm_before", true)
                && !config.bool("_remove_final_layer_norm", false);
        boolean tied = config.bool("tie_word_embeddings", true);
        String act = config.string("activation_function", "relu");
        var b = new ShapesBuilder();
        String d = "model.decoder.";
        b.embedding(d + "embed_tokens", vocab, proj);
        b.embedding(d + "embed_positions", positions + 2, hidden);
        if (proj != hidden) {
            b.linear(d + "project_out", hidden, proj, false, Input.OTHER);
            b.linear(d + "project_in", proj, hidden, false, Input.OTHER);
        }
        if (finalNorm && affine) {
            b.norm(d + "final_layer_norm", hidden, true);
        }
        for (long l = 0; l < layers; l++) {
            String p = d + "layers." + l + ".";
            b.linear(p + "self_attn.k_proj", hidden, hidden, bias, Input.ATTENTION_IN);
            b.linear(p + "self_attn.v_proj", hidden, hidden, bias, Input.ATTENTION_IN);
            b.linear(p + "self_attn.q_proj", hidden, hidden, bias, Input.ATTENTION_IN);
            b.linear(p + "self_attn.out_proj", hidden, hidden, bias, Input.ATTENTION_OUT);
            if (affine) {
                b.norm(p + "self_attn_layer_norm", hidden, true);
            }
            b.linear(p + "fc1", hidden, ffn, bias, Input.MLP_IN);
            b.linear(p + "fc2", ffn, hidden, bias, Input.MLP_OUT);
            if (affine) {
                b.norm(p + "final_layer_norm", hidden, true);
            }
        }
        lmHead(b, vocab, proj, tied, false);
        return b.build(new Architecture("opt", layers, hidden, hidden, hidden, ffn, vocab, 2, false, false,
                plainMlpInternals(act), isRelu(act)), "lm_head");
    }

    /** BERT as {@code BertModel}: word, position and token-type embeddings, post-norm blocks, pooler. */
    private static ModelShapes bert(ConfigJson config) {
        long vocab = config.integer("vocab_size", 30522);
        long hidden = config.integer("hidden_size", 768);
        long inner = config.integer("intermediate_size", 3072);
        long layers = config.integer("num_hidden_layers", 12);
        long positions = config.integer("max_position_embeddings", 512);
        long types = config.integer("type_vocab_size", 2);
        String act = config.string("hidden_act", "gelu");
        var b = new ShapesBuilder();
        b.embedding("embeddings.word_embeddings", vocab, hidden);
        b.embedding("embeddings.position_embeddings", positions, hidden);
        b.embedding("embeddings.token_type_embeddings", types, hidden);
        b.norm("embeddings.LayerNorm", hidden, true);
        for (long l = 0; l < layers; l++) {
            String p = "encoder.layer." + l + ".";
            b.linear(p + "attention.self.query", hidden, hidden, true, Input.ATTENTION_IN);
            b.linear(p + "attention.self.key", hidden, hidden, true, Input.ATTENTION_IN);
            b.linear(p + "attention.self.value", hidden, hidden, true, Input.ATTENTION_IN);
            b.linear(p + "attention.output.dense", hidden, hidden, true, Input.ATTENTION_OUT);
            b.norm(p + "attention.output.LayerNorm", hidden, true);
            b.linear(p + "intermediate.dense", hidden, inner, true, Input.MLP_IN);
            b.linear(p + "output.dense", inner, hidden, true, Input.MLP_OUT);
            b.norm(p + "output.LayerNorm", hidden, true);
        }
        b.linear("pooler.dense", hidden, hidden, true, Input.OTHER);
        return b.build(new Architecture("bert", layers, hidden, hidden, hidden, inner, 0, 2, false, false,
                plainMlpInternals(act), isRelu(act)), null);
    }

    private static void lmHead(ShapesBuilder b, long vocab, long dim, boolean tied, boolean bias) {
        b.linear("lm_head", dim, vocab, bias, Input.OTHER);
        if (tied) {
            b.tie("lm_head.weight");
        }
    }

    /**
     * Width-i tensors an ungated MLP keeps for backward besides the second projection's input:
     * the composite tanh GELUs keep their intermediate products, a fused activation keeps its input,
     * ReLU keeps only its output (which is the second projection's input).
     */
    private static int plainMlpInternals(String activation) {
        return switch (activation) {
            case "gelu_new", "gelu_fast" -> 4;
            case "quick_gelu" -> 2;
            case "relu" -> 0;
            default -> 1;
        };
    }

    private static boolean isRelu(String activation) {
        return activation.equals("relu");
    }
}

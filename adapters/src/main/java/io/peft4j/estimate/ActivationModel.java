package io.peft4j.estimate;

import io.peft4j.estimate.ModuleShape.Input;
import io.peft4j.tuning.TrainMethod;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bytes of activations kept for backward, counted tensor by tensor the way PyTorch autograd keeps
 * them in transformers' blocks (SDPA attention, no dropout). It follows Korthikanti et al. 2022,
 * "Reducing Activation Recomputation in Large Transformer Models", §4.1, which gives
 * {@code sbh(34 + 5as/h)} bytes per layer for GPT-3 in 16 bits; here, per token and layer, with
 * {@code b} bytes per element in the compute dtype:
 *
 * <ul>
 *   <li>each norm keeps its input: {@code 4h} for RMSNorm (transformers upcasts it to fp32), {@code bh}
 *       for LayerNorm; a trained RMSNorm weight also keeps the normalised tensor ({@code bh});</li>
 *   <li>SDPA attention keeps q, k, v and its output: {@code b(2q + 2kv)} (no {@code as} term: SDPA
 *       and flash attention never store the {@code s x s} scores);</li>
 *   <li>the MLP keeps its activation's intermediates: {@code b * i * k} with k = 3 for a gated
 *       SiLU/GELU (gate, up, activation), 4 for GPT-2's composite gelu_new, 1 for a fused GELU;</li>
 *   <li>a linear layer keeps its input only when its weight is trained: full fine-tuning keeps the
 *       inputs of q/k/v, the output projection, the MLP in- and out-projections ({@code b(2h + q + i)});
 *       with an adapter only the adapted modules' inputs are kept, once per shared input when the
 *       adapter computes in the model's dtype, or as one copy per adapted module when PEFT casts the
 *       input to an fp32 adapter; plus the rank-r intermediate, and for DoRA the base and LoRA
 *       outputs ({@code out * (b + adapter bytes)});</li>
 *   <li>outside the blocks: the final norm, the LM head's input when trained, and the logits:
 *       {@code V * (b + 12)} per token (the logits, the loss's fp32 log-softmax, and two fp32 gradient
 *       buffers while backward starts).</li>
 * </ul>
 *
 * <p>With gradient checkpointing each block keeps only its input ({@code bh}, Korthikanti's
 * {@code 2sbh} in 16 bits) and one block's activations exist again while it is recomputed. QLoRA adds
 * one dequantized weight (the largest) as a transient buffer. Checked against the bytes autograd
 * really saves in transformers' blocks within 8 % (CalibrationTest, 11 CPU training runs).
 */
final class ActivationModel {

    /**
     * The two activation figures of a {@link MemoryBreakdown}, and the parts of {@code activations}
     * that exist only in backward: the block recomputed under gradient checkpointing and QLoRA's
     * dequantized weight.
     */
    record Result(long activations, long logits, long recomputedBlock, long dequantBuffer) {
    }

    private static final Pattern LAYER = Pattern.compile("\\.(\\d+)\\.");

    private ActivationModel() {}

    static Result of(ModelShapes model, TrainingPlan plan, AdapterShapes adapter) {
        Architecture a = model.architecture();
        int b = plan.precision().activationBytes();
        boolean full = plan.method() == TrainMethod.FULL;
        int adapterBytes = plan.adapterPrecision().weightBytes();
        Set<String> adapted = new HashSet<>();
        if (adapter != null) {
            adapter.modules().forEach(m -> adapted.add(m.name()));
        }

        Map<Long, List<ModuleShape>> layers = new TreeMap<>();
        List<ModuleShape> outside = new ArrayList<>();
        for (ModuleShape m : model.modules()) {
            Matcher layer = LAYER.matcher(m.name());
            if (m.input() != Input.OTHER && layer.find()) {
                layers.computeIfAbsent(Long.parseLong(layer.group(1)), k -> new ArrayList<>()).add(m);
            } else {
                outside.add(m);
            }
        }

        double normInput = a.rmsNorm() ? 4 : b;
        double normWeight = full && a.rmsNorm() ? b : 0;
        double blockBase = a.normsPerLayer() * a.hidden() * (normInput + normWeight)
                + (double) b * (2 * a.queryDim() + 2 * a.keyValueDim())
                + (a.qkNorm() ? (normInput + normWeight) * (a.queryDim() + a.keyValueDim()) : 0)
                + (double) b * a.intermediate() * a.mlpInternals();

        double sumBlocks = 0;
        double maxBlock = 0;
        for (List<ModuleShape> modules : layers.values()) {
            double block = blockBase + kept(modules, full, adapted, b, adapterBytes, plan, a);
            sumBlocks += block;
            maxBlock = Math.max(maxBlock, block);
        }

        double perTokenOutside = a.hidden() * (normInput + normWeight);
        for (ModuleShape m : outside) {
            if (!m.isLinear()) {
                continue;
            }
            if (full) {
                perTokenOutside += (double) b * m.inFeatures();
            } else if (adapted.contains(m.name())) {
                perTokenOutside += (double) adapterBytes * m.inFeatures() + loraExtra(m, plan, b, adapterBytes);
            }
        }

        long tokens = plan.tokensPerMicroBatch();
        double perToken = plan.gradientCheckpointing()
                ? layers.size() * (double) b * a.hidden() + maxBlock + perTokenOutside
                : sumBlocks + perTokenOutside;
        long dequantBuffer = plan.method() == TrainMethod.QLORA ? largestQuantized(model) * b : 0;
        long logits = tokens * a.logitsWidth() * (b + 12L);
        long recomputed = plan.gradientCheckpointing() ? Math.round(maxBlock * tokens) : 0;
        return new Result(Math.round(perToken * tokens) + dequantBuffer, logits, recomputed, dequantBuffer);
    }

    /** Per token: the inputs of trained linear modules in one block, and the adapters' own tensors. */
    private static double kept(List<ModuleShape> modules, boolean full, Set<String> adapted, int b,
                               int adapterBytes, TrainingPlan plan, Architecture a) {
        Map<Input, Long> sharedInputs = new HashMap<>();
        double perModuleCopies = 0;
        for (ModuleShape m : modules) {
            if (full) {
                sharedInputs.put(m.input(), m.inFeatures());
            } else if (adapted.contains(m.name())) {
                if (adapterBytes == b) {
                    sharedInputs.put(m.input(), m.inFeatures());
                } else {
                    perModuleCopies += (double) adapterBytes * m.inFeatures();
                }
                perModuleCopies += loraExtra(m, plan, b, adapterBytes);
            }
        }
        if (a.mlpOutAlwaysKept()) {
            sharedInputs.putIfAbsent(Input.MLP_OUT, a.intermediate());
        }
        return perModuleCopies + b * (double) sharedInputs.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The rank-r intermediate, and DoRA's kept base and LoRA outputs. */
    private static double loraExtra(ModuleShape m, TrainingPlan plan, int b, int adapterBytes) {
        double extra = (double) plan.rank() * adapterBytes;
        if (plan.method() == TrainMethod.DORA) {
            extra += (double) m.outFeatures() * (b + adapterBytes);
        }
        return extra;
    }

    private static long largestQuantized(ModelShapes model) {
        return model.modules().stream()
                .filter(m -> m.isLinear() && !m.name().equals(model.outputHead()))
                .mapToLong(m -> m.inFeatures() * m.outFeatures())
                .max().orElse(0);
    }
}

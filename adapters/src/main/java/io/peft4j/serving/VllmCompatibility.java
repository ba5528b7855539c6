package io.peft4j.serving;

import io.peft4j.core.Peft4jException;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a PEFT adapter against what vLLM's multi-LoRA serving loads. The adapter is first loaded
 * and checked in full ({@link LoraAdapter#load}, as inspect and merge do), so an adapter PEFT would
 * refuse is never called servable; then vLLM's own limits, as its loader checks them
 * ({@code vllm/lora/peft_helper.py} {@code validate_legal}, {@code vllm/lora/utils.py}
 * {@code parse_fine_tuned_lora_name}, {@code vllm/config/lora.py} {@code MaxLoRARanks}):
 * <ul>
 *   <li>a LoRA adapter ({@code peft_type} LORA; vLLM has no loader for other PEFT types);</li>
 *   <li>rank at most {@code --max-lora-rank}, which must itself be one of {@link #MAX_LORA_RANKS}
 *       (vLLM pads smaller ranks up to it);</li>
 *   <li>no DoRA, no {@code modules_to_save}, {@code bias} "none";</li>
 *   <li>no {@code rank_pattern}/{@code alpha_pattern}: vLLM does not read them and would scale every
 *       module by the global {@code lora_alpha / r};</li>
 *   <li>only {@code lora_A.weight}, {@code lora_B.weight}, {@code lora_embedding_A/B} tensors (copies of
 *       the base embedding or head, {@code *.embed_tokens.base_layer.weight} and
 *       {@code *.lm_head.base_layer.weight}, are skipped by vLLM and allowed), named with one
 *       {@code base_model.model.} prefix.</li>
 * </ul>
 */
public final class VllmCompatibility {

    /** The values vLLM accepts for {@code --max-lora-rank}. */
    public static final List<Integer> MAX_LORA_RANKS = List.of(1, 8, 16, 32, 64, 128, 256, 320, 512);

    /** vLLM's default {@code --max-lora-rank}. */
    public static final int DEFAULT_MAX_LORA_RANK = 16;

    private static final List<String> LORA_SUFFIXES = List.of(".lora_A.weight", ".lora_B.weight", ".lora_embedding_A", ".lora_embedding_B");
    private static final String PREFIX = "base_model.model.";
    private static final List<String> SKIPPED_SUFFIXES = List.of(".embed_tokens.base_layer.weight", ".lm_head.base_layer.weight");

    private VllmCompatibility() {}

    /**
     * Every reason vLLM would refuse (or silently mis-scale) the adapter in {@code directory} when
     * served with {@code --max-lora-rank maxLoraRank}.
     *
     * @throws Peft4jException if {@code maxLoraRank} is not a value vLLM accepts
     * @throws io.peft4j.peft.AdapterFormatException if the directory is not an adapter PEFT would load
     */
    public static VllmReport check(Path directory, int maxLoraRank) {
        if (!MAX_LORA_RANKS.contains(maxLoraRank)) {
            throw new Peft4jException("--max-lora-rank " + maxLoraRank + " is not one vLLM accepts: " + MAX_LORA_RANKS);
        }
        AdapterConfig config = AdapterConfig.read(directory);
        if (!config.peftType().equals("LORA")) {
            return new VllmReport(directory, 0, maxLoraRank,
                    List.of("peft_type " + config.peftType() + ": vLLM serves only LoRA adapters"));
        }
        try (LoraAdapter adapter = LoraAdapter.load(directory)) {
            return check(adapter, maxLoraRank);
        }
    }

    private static VllmReport check(LoraAdapter adapter, int maxLoraRank) {
        AdapterConfig config = adapter.config();
        List<String> problems = new ArrayList<>();
        if (config.useDora()) {
            problems.add("use_dora is true: vLLM does not support DoRA (merge it into the base instead)");
        }
        if (!config.modulesToSave().isEmpty()) {
            problems.add("modules_to_save " + config.modulesToSave() + ": vLLM supports only adapters without fully trained modules");
        }
        if (!config.bias().equals("none")) {
            problems.add("bias \"" + config.bias() + "\": vLLM does not support adapter biases");
        }
        if (!config.rankPattern().isEmpty()) {
            problems.add("rank_pattern " + config.rankPattern() + ": vLLM ignores per-module ranks and would scale every module by lora_alpha/r");
        }
        if (!config.alphaPattern().isEmpty()) {
            problems.add("alpha_pattern " + config.alphaPattern() + ": vLLM ignores per-module alphas and would scale every module by lora_alpha/r");
        }
        int rank = config.rank();
        for (LoraModule module : adapter.modules()) {
            rank = Math.max(rank, module.rank());
        }
        for (TensorInfo tensor : adapter.tensors().tensors()) {
            String name = tensor.name();
            if (LORA_SUFFIXES.stream().noneMatch(name::endsWith) && SKIPPED_SUFFIXES.stream().noneMatch(name::endsWith)) {
                problems.add("tensor " + name + ": not a LoRA weight vLLM loads (only lora_A/lora_B weights and lora_embedding_A/B)");
            } else if (name.startsWith(PREFIX + PREFIX)) {
                problems.add("tensor " + name + ": the " + PREFIX + " prefix appears twice (get_peft_model on a PeftModel);"
                        + " vLLM strips it once and finds no such module");
            }
        }
        if (rank > maxLoraRank) {
            problems.add("rank " + rank + " is above --max-lora-rank " + maxLoraRank + " (serve with --max-lora-rank "
                    + smallestMaxLoraRank(rank) + ")");
        }
        return new VllmReport(adapter.directory(), rank, maxLoraRank, problems);
    }

    /** The smallest {@code --max-lora-rank} vLLM accepts that holds {@code rank}, or -1 if none does. */
    public static int smallestMaxLoraRank(int rank) {
        return MAX_LORA_RANKS.stream().filter(r -> r >= rank).findFirst().orElse(-1);
    }
}

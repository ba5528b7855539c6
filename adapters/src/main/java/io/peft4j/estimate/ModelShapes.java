package io.peft4j.estimate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.core.JsonErrors;
import io.peft4j.core.RegularFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Every parameter tensor of a transformers model, computed from its {@code config.json} alone:
 * names and shapes exactly as {@code model.state_dict()} lists them, the modules LoRA can adapt, and
 * the sizes the activation model needs. Nothing is downloaded or allocated.
 *
 * <p>The model is the one {@code AutoModelForCausalLM.from_config} builds (with its LM head) for the
 * decoder families, and {@code AutoModel} ({@code BertModel}, with pooler) for BERT. Supported
 * {@code model_type}s: see {@link ModelFamilies#SUPPORTED}.
 *
 * @param architecture the sizes the activation model needs
 * @param tensors      every state_dict entry, tied aliases included
 * @param tiedTensors  state_dict names that share storage with an earlier entry (counted once)
 * @param modules      the modules LoRA can target
 * @param outputHead   name of the output head module ({@code lm_head}), or null for encoders
 */
public record ModelShapes(Architecture architecture, List<TensorShape> tensors, Set<String> tiedTensors,
                          List<ModuleShape> modules, String outputHead) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Copies the collections so the record stays immutable. */
    public ModelShapes {
        tensors = List.copyOf(tensors);
        tiedTensors = Set.copyOf(tiedTensors);
        modules = List.copyOf(modules);
    }

    /** Reads a {@code config.json} file. */
    public static ModelShapes fromConfigFile(Path configJson) {
        JsonNode root;
        try {
            root = JSON.readTree(RegularFiles.readConfig(configJson));
        } catch (JsonProcessingException e) {
            throw new EstimateException(configJson + ": cannot read config (not valid JSON: " + JsonErrors.describe(e) + ")", e);
        }
        return fromConfig(root, configJson.toString());
    }

    /** Builds the shapes from a parsed config; {@code source} names it in error messages. */
    public static ModelShapes fromConfig(JsonNode config, String source) {
        return ModelFamilies.build(new ConfigJson(config, source));
    }

    /** The number of parameters, as {@code sum(p.numel() for p in model.parameters())}: tied ones once. */
    public long parameterCount() {
        return tensors.stream().filter(t -> !tiedTensors.contains(t.name())).mapToLong(TensorShape::numel).sum();
    }

    /** The tensor with this state_dict name, if the model has it. */
    public Optional<TensorShape> tensor(String name) {
        return tensors.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /**
     * The number of parameters bitsandbytes stores in 4 bits under QLoRA: the weights of every
     * linear module except the output head (transformers keeps {@code lm_head} unquantized); biases,
     * norms and embeddings stay in the compute dtype.
     */
    public long quantizableParameterCount() {
        return modules.stream()
                .filter(m -> m.isLinear() && !m.name().equals(outputHead))
                .mapToLong(m -> m.inFeatures() * m.outFeatures())
                .sum();
    }
}

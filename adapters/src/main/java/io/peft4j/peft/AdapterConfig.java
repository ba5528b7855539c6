package io.peft4j.peft;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.core.JsonErrors;
import io.peft4j.core.RegularFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A PEFT {@code adapter_config.json}: typed access to every field that affects the math, with
 * PEFT's defaults where a field is absent, and every other field kept verbatim so that writing the
 * configuration back loses nothing. Immutable; {@link #with(String, Object)} returns a changed copy.
 *
 * <p>Scaling follows {@code peft.tuners.lora.layer.LoraLayer.update_layer}: {@code alpha / r}, or
 * {@code alpha / sqrt(r)} with {@code use_rslora}, where {@code r} and {@code alpha} come from the
 * first matching {@code rank_pattern}/{@code alpha_pattern} key (see {@link #rankFor(String)}).
 */
public final class AdapterConfig {

    /** The file name PEFT uses inside an adapter directory. */
    public static final String FILE_NAME = "adapter_config.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ObjectNode node;
    private final Path source;

    private AdapterConfig(ObjectNode node, Path source) {
        this.node = node;
        this.source = source;
        validate();
    }

    /**
     * Reads and validates {@code adapter_config.json} (a file, or a directory containing it).
     *
     * @throws AdapterFormatException if it is missing or PEFT would not load it
     * @throws io.peft4j.core.Peft4jException if it is not a regular file or cannot be read
     */
    public static AdapterConfig read(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve(FILE_NAME) : path;
        if (Files.notExists(file)) {
            throw new AdapterFormatException(file, "no " + FILE_NAME + " here");
        }
        return parse(RegularFiles.readConfig(file), file);
    }

    /** Parses configuration JSON; {@code source} only names it in error messages. */
    public static AdapterConfig parse(String json, Path source) {
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new AdapterFormatException(source, "not valid JSON (" + JsonErrors.describe(e) + ")");
        }
        if (tree == null || !tree.isObject()) {
            throw new AdapterFormatException(source, "expected a JSON object");
        }
        return new AdapterConfig((ObjectNode) tree, source);
    }

    /** A new LoRA configuration with rank {@code r}, {@code lora_alpha} and target module names. */
    public static AdapterConfig lora(int r, double alpha, List<String> targetModules) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("peft_type", "LORA");
        n.put("r", r);
        putNumber(n, "lora_alpha", alpha);
        n.set("target_modules", JSON.valueToTree(targetModules));
        return new AdapterConfig(n, Path.of(FILE_NAME));
    }

    private void validate() {
        requireType("r", JsonNode::isIntegralNumber, "an integer");
        requireType("lora_alpha", JsonNode::isNumber, "a number");
        for (String flag : List.of("use_rslora", "use_dora", "fan_in_fan_out", "lora_bias")) {
            requireType(flag, JsonNode::isBoolean, "true or false");
        }
        requireType("peft_type", JsonNode::isTextual, "a string");
        requireType("rank_pattern", JsonNode::isObject, "an object");
        requireType("alpha_pattern", JsonNode::isObject, "an object");
        requireType("target_modules", n -> n.isTextual() || isStringList(n), "a string or a list of strings");
        requireType("exclude_modules", n -> n.isTextual() || isStringList(n), "a string or a list of strings");
        requireType("modules_to_save", AdapterConfig::isStringList, "a list of strings");
        requireType("layers_to_transform", n -> n.isIntegralNumber() || n.isArray(), "an integer or a list");
        requireType("layer_replication", JsonNode::isArray, "a list of [start, end] pairs");
        JsonNode r = node.get("r");
        if (r != null && !r.isNull()) {
            checkInt(r, "r", peftType().equals("LORA") ? 1 : 0);
        }
        if (peftType().equals("LORA")) { // AdaLoRA's rank_pattern holds each module's mask of kept ranks, not a rank
            node.path("rank_pattern").properties().forEach(e -> checkInt(e.getValue(), "rank_pattern[\"" + e.getKey() + "\"]", 1));
        }
        JsonNode layers = node.path("layers_to_transform");
        (layers.isArray() ? layers : List.of(layers)).forEach(l -> {
            if (!l.isMissingNode() && !l.isNull()) {
                checkInt(l, "layers_to_transform", 0);
            }
        });
        node.path("layer_replication").forEach(range -> {
            if (!range.isArray() || range.size() != 2) {
                throw problem("layer_replication must be a list of [start, end] pairs, got " + range);
            }
            range.forEach(i -> checkInt(i, "layer_replication", 0));
        });
        checkFinite(node.get("lora_alpha"), "lora_alpha");
        node.path("alpha_pattern").properties().forEach(e -> {
            if (!e.getValue().isNumber()) {
                throw problem("alpha_pattern[\"" + e.getKey() + "\"] must be a number");
            }
            checkFinite(e.getValue(), "alpha_pattern[\"" + e.getKey() + "\"]");
        });
    }

    /**
     * The one rule for integer fields: an integer from {@code min} to {@link Integer#MAX_VALUE}, so
     * no value is read modulo 2^32 ({@code 4294967300} is not 4) or truncated to 0.
     */
    private void checkInt(JsonNode value, String field, int min) {
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < min) {
            throw problem(field + " must be an integer from " + min + " to " + Integer.MAX_VALUE + ", got " + value);
        }
    }

    private void checkFinite(JsonNode value, String field) {
        if (value != null && value.isNumber() && !Double.isFinite(value.doubleValue())) {
            throw problem(field + " must be a finite number; it is too large for a double");
        }
    }

    private void requireType(String field, java.util.function.Predicate<JsonNode> ok, String expected) {
        JsonNode v = node.get(field);
        if (v != null && !v.isNull() && !ok.test(v)) {
            throw problem("field " + field + " must be " + expected + ", got " + v);
        }
    }

    private static boolean isStringList(JsonNode n) {
        if (!n.isArray()) {
            return false;
        }
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                return false;
            }
        }
        return true;
    }

    private AdapterFormatException problem(String what) {
        return new AdapterFormatException(source, what);
    }

    /** Where this configuration was read from (or its file name when built in code). */
    public Path source() {
        return source;
    }

    /** {@code peft_type}, e.g. {@code LORA}, {@code IA3}, {@code ADALORA}, {@code PROMPT_TUNING}. */
    public String peftType() {
        return node.path("peft_type").asText("LORA");
    }

    /** {@code task_type}, e.g. {@code CAUSAL_LM} or {@code SEQ_CLS}, if present. */
    public Optional<String> taskType() {
        return text("task_type");
    }

    /** {@code base_model_name_or_path}, if present and not null. */
    public Optional<String> baseModelNameOrPath() {
        return text("base_model_name_or_path");
    }

    /** The default rank {@code r} (PEFT default 8). */
    public int rank() {
        return node.path("r").asInt(8);
    }

    /** The default {@code lora_alpha} (PEFT default 8). */
    public double loraAlpha() {
        return node.path("lora_alpha").asDouble(8);
    }

    /** {@code use_rslora}: scaling is {@code alpha / sqrt(r)} instead of {@code alpha / r}. */
    public boolean useRslora() {
        return node.path("use_rslora").asBoolean(false);
    }

    /** {@code use_dora}: weight-decomposed LoRA with a magnitude vector per module. */
    public boolean useDora() {
        return node.path("use_dora").asBoolean(false);
    }

    /** {@code fan_in_fan_out}: base weights stored as {@code [in, out]} (GPT-2's Conv1D). */
    public boolean fanInFanOut() {
        return node.path("fan_in_fan_out").asBoolean(false);
    }

    /** {@code bias}: which base biases were trained ({@code none}, {@code all}, {@code lora_only}). */
    public String bias() {
        return node.path("bias").asText("none");
    }

    /** {@code lora_bias}: whether {@code lora_B} has a bias that merging adds to the base bias. */
    public boolean loraBias() {
        return node.path("lora_bias").asBoolean(false);
    }

    /** {@code init_lora_weights} as written (a boolean or a method name such as {@code "pissa"}). */
    public Optional<String> initLoraWeights() {
        JsonNode v = node.get("init_lora_weights");
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
    }

    /** {@code layer_replication}, if set: a list of [start, end) layer ranges. */
    public Optional<List<List<Integer>>> layerReplication() {
        JsonNode v = node.get("layer_replication");
        if (v == null || v.isNull() || !v.isArray()) {
            return Optional.empty();
        }
        List<List<Integer>> ranges = new ArrayList<>();
        for (JsonNode range : v) {
            List<Integer> r = new ArrayList<>();
            range.forEach(x -> r.add(x.asInt()));
            ranges.add(List.copyOf(r));
        }
        return Optional.of(List.copyOf(ranges));
    }

    /** {@code modules_to_save}: modules trained in full and saved whole (empty when null). */
    public List<String> modulesToSave() {
        return stringList(node.get("modules_to_save"));
    }

    /** {@code rank_pattern}, in the file's key order. */
    public Map<String, Integer> rankPattern() {
        Map<String, Integer> m = new LinkedHashMap<>();
        node.path("rank_pattern").properties().forEach(e -> m.put(e.getKey(), e.getValue().asInt()));
        return m;
    }

    /** {@code alpha_pattern}, in the file's key order. */
    public Map<String, Double> alphaPattern() {
        Map<String, Double> m = new LinkedHashMap<>();
        node.path("alpha_pattern").properties().forEach(e -> m.put(e.getKey(), e.getValue().asDouble()));
        return m;
    }

    /** {@code target_modules}, {@code exclude_modules} and {@code layers_to_transform} together. */
    public TargetModules targetModules() {
        JsonNode t = node.get("target_modules");
        JsonNode x = node.get("exclude_modules");
        Set<Integer> layers = new TreeSet<>();
        JsonNode l = node.get("layers_to_transform");
        if (l != null && l.isIntegralNumber()) {
            layers.add(l.asInt());
        } else if (l != null && l.isArray()) {
            l.forEach(i -> layers.add(i.asInt()));
        }
        return new TargetModules(
                t != null && t.isTextual() ? Optional.of(t.asText()) : Optional.empty(),
                stringList(t),
                x != null && x.isTextual() ? Optional.of(x.asText()) : Optional.empty(),
                stringList(x),
                layers);
    }

    /** The rank of one module: the first matching {@code rank_pattern} key, else {@code r}. */
    public int rankFor(String moduleName) {
        return PatternKeys.firstMatch(rankPattern(), moduleName).orElse(rank());
    }

    /** The alpha of one module: the first matching {@code alpha_pattern} key, else {@code lora_alpha}. */
    public double alphaFor(String moduleName) {
        return PatternKeys.firstMatch(alphaPattern(), moduleName).orElse(loraAlpha());
    }

    /**
     * The scaling PEFT applies to one module's {@code B @ A}: {@code alpha / r}, or
     * {@code alpha / sqrt(r)} with rsLoRA, computed in double precision as Python does.
     */
    public double scalingFor(String moduleName) {
        int r = rankFor(moduleName);
        double alpha = alphaFor(moduleName);
        return useRslora() ? alpha / Math.sqrt(r) : alpha / r;
    }

    /** A raw field as JSON, for fields without a typed accessor. */
    public Optional<JsonNode> field(String name) {
        return Optional.ofNullable(node.get(name)).map(JsonNode::deepCopy);
    }

    /** The names of every field present, in file order. */
    public List<String> fieldNames() {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /**
     * A copy with one field set (added at the end if new, replaced in place otherwise). The value is
     * converted with Jackson: numbers, strings, booleans, lists, maps, {@code null}, or a JsonNode.
     */
    public AdapterConfig with(String field, Object value) {
        ObjectNode copy = node.deepCopy();
        if (value instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) {
            putNumber(copy, field, d);
        } else {
            copy.set(field, JSON.valueToTree(value));
        }
        return new AdapterConfig(copy, source);
    }

    /** The configuration as JSON, formatted like PEFT's {@code save_pretrained} (2-space indent). */
    public String toJson() {
        try {
            return JSON.writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes {@code adapter_config.json} into {@code dir} through a temporary file and a rename; the
     * file gets the permissions the umask gives any new file.
     */
    public Path writeTo(Path dir) {
        Path target = dir.resolve(FILE_NAME);
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(".adapter_config." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                Files.writeString(tmp, toJson(), StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new AdapterFormatException(target, "cannot write: " + e.getMessage());
        }
        return target;
    }

    private Optional<String> text(String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
    }

    private static List<String> stringList(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n != null && n.isArray()) {
            n.forEach(e -> out.add(e.asText()));
        }
        return List.copyOf(out);
    }

    private static void putNumber(ObjectNode n, String field, double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            n.put(field, (long) value);
        } else {
            n.put(field, value);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AdapterConfig other && node.equals(other.node);
    }

    @Override
    public int hashCode() {
        return node.hashCode();
    }

    @Override
    public String toString() {
        return "AdapterConfig" + node;
    }
}

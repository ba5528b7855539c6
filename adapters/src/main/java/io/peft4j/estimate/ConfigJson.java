package io.peft4j.estimate;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Typed reads of a transformers {@code config.json}, where an absent or {@code null} field takes
 * the default transformers' config class would give it. Every failure names the config source.
 */
final class ConfigJson {

    private final JsonNode root;
    private final String source;

    ConfigJson(JsonNode root, String source) {
        if (root == null || !root.isObject()) {
            throw new EstimateException(source + ": not a JSON object");
        }
        this.root = root;
        this.source = source;
    }

    String source() {
        return source;
    }

    /** The value of {@code key}, or {@code fallback} when absent or null. */
    long integer(String key, long fallback) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.canConvertToLong() || !node.isNumber() || node.asLong() <= 0) {
            throw new EstimateException(source + ": '" + key + "' must be a positive integer, got " + node);
        }
        return node.asLong();
    }

    /** True when {@code key} is present and not null. */
    boolean has(String key) {
        JsonNode node = root.get(key);
        return node != null && !node.isNull();
    }

    boolean bool(String key, boolean fallback) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw new EstimateException(source + ": '" + key + "' must be true or false, got " + node);
        }
        return node.asBoolean();
    }

    String string(String key, String fallback) {
        JsonNode node = root.get(key);
        return node == null || node.isNull() ? fallback : node.asText();
    }

    /** The value of {@code key}; its absence is an error. */
    String requiredString(String key) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull() || !node.isTextual()) {
            throw new EstimateException(source + ": missing '" + key + "'");
        }
        return node.asText();
    }
}

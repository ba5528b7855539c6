package io.peft4j.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import io.peft4j.core.JsonErrors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns the lines of one file into {@link Example}s. The first valid line fixes the file's format;
 * every later line must have the same one. All rules a line must follow are checked here.
 */
final class ExampleParser {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Path file;
    private DatasetFormat format;
    private long formatLine;

    ExampleParser(Path file) {
        this.file = file;
    }

    /** The format fixed by the first line, or {@code null} before any line was parsed. */
    DatasetFormat format() {
        return format;
    }

    /** Parses one non-blank line; throws {@link DatasetFormatException} naming the line if it is not usable. */
    Example parse(String text, long line) {
        JsonNode node = readJson(text, line);
        if (!node.isObject()) {
            throw error(line, "expected a JSON object, found " + describe(node));
        }
        Set<String> names = new LinkedHashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        DatasetFormat lineFormat = DatasetFormat.guess(names);
        if (lineFormat == null) {
            throw error(line, "no training fields: expected \"text\", \"prompt\"+\"completion\", \"messages\" "
                    + "or \"prompt\"+\"chosen\"+\"rejected\", found " + names);
        }
        if (format != null && lineFormat != format) {
            throw error(line, "mixed formats: this line is " + lineFormat + " but line " + formatLine
                    + " made the file " + format);
        }
        for (String field : lineFormat.fields()) {
            if (!node.has(field)) {
                throw error(line, "missing field \"" + field + "\" (" + lineFormat + " needs " + lineFormat.fields() + ")");
            }
        }
        Example example = switch (lineFormat) {
            case TEXT -> new Example.Text(string(node, "text", line));
            case PROMPT_COMPLETION -> new Example.PromptCompletion(
                    string(node, "prompt", line), string(node, "completion", line));
            case PREFERENCE -> new Example.Preference(
                    string(node, "prompt", line), string(node, "chosen", line), string(node, "rejected", line));
            case MESSAGES -> messages(node.get("messages"), line);
        };
        if (format == null) {
            format = lineFormat;
            formatLine = line;
        }
        return example;
    }

    private JsonNode readJson(String text, long line) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at column " + e.getLocation().getColumnNr();
            throw error(line, "invalid JSON" + where + ": " + JsonErrors.reason(e));
        }
    }

    private Example.Messages messages(JsonNode array, long line) {
        if (!array.isArray()) {
            throw error(line, "field \"messages\" must be an array, found " + describe(array));
        }
        List<Example.Message> messages = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonNode message = array.get(i);
            String where = "messages[" + i + "]";
            if (!message.isObject()) {
                throw error(line, where + " must be an object, found " + describe(message));
            }
            String role = string(message, "role", where, line);
            String content = string(message, "content", where, line);
            try {
                messages.add(new Example.Message(role, content));
            } catch (IllegalArgumentException e) {
                throw error(line, where + ": " + e.getMessage());
            }
        }
        try {
            return new Example.Messages(messages);
        } catch (IllegalArgumentException e) {
            throw error(line, e.getMessage());
        }
    }

    private String string(JsonNode object, String field, long line) {
        return string(object, field, null, line);
    }

    private String string(JsonNode object, String field, String parent, long line) {
        String name = parent == null ? "field \"" + field + "\"" : parent + "." + field;
        JsonNode value = object.get(field);
        if (value == null) {
            throw error(line, "missing " + name);
        }
        if (!value.isTextual()) {
            throw error(line, name + " must be a string, found " + describe(value));
        }
        return value.textValue();
    }

    private static String describe(JsonNode node) {
        JsonNodeType type = node.getNodeType();
        return switch (type) {
            case OBJECT -> "an object";
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> type.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private DatasetFormatException error(long line, String problem) {
        return new DatasetFormatException(file, line, problem);
    }
}

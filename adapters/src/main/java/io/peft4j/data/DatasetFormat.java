package io.peft4j.data;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;
import java.util.Locale;

/**
 * The JSONL training-data layouts {@code Peft.train} accepts, one JSON object per line. Extra fields
 * are allowed and ignored; every line of a file must have the same layout.
 */
public enum DatasetFormat {
    /** {@code {"text": "..."}}: language modelling on the whole text. */
    TEXT(List.of("text")),
    /** {@code {"prompt": "...", "completion": "..."}}: loss on the completion only. */
    PROMPT_COMPLETION(List.of("prompt", "completion")),
    /** {@code {"messages": [{"role": "...", "content": "..."}, ...]}}: a chat, rendered with the model's chat template. */
    MESSAGES(List.of("messages")),
    /** {@code {"prompt": "...", "chosen": "...", "rejected": "..."}}: preference pairs for DPO. */
    PREFERENCE(List.of("prompt", "chosen", "rejected"));

    private final List<String> fields;

    DatasetFormat(List<String> fields) {
        this.fields = fields;
    }

    /** The format's name in lower case, e.g. {@code prompt_completion}: how the Python bridge is told it. */
    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The fields every line of this format must have, in the order they are checked. */
    public List<String> fields() {
        return fields;
    }

    /**
     * The format a line with these field names is meant to be, or {@code null} if it names none of the
     * format fields. A line with only some fields of a format (say {@code prompt} alone) is classed as
     * that format, so the error can name the missing field.
     */
    static DatasetFormat guess(java.util.Set<String> names) {
        if (names.contains("messages")) {
            return MESSAGES;
        }
        if (names.contains("chosen") || names.contains("rejected")) {
            return PREFERENCE;
        }
        if (names.contains("completion") || names.contains("prompt")) {
            return PROMPT_COMPLETION;
        }
        if (names.contains("text")) {
            return TEXT;
        }
        return null;
    }
}

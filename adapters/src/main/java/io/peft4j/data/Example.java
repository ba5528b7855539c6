package io.peft4j.data;

import java.util.List;
import java.util.Objects;

/** One training example, as read from one line of a JSONL file. */
public sealed interface Example {

    /** The format this example belongs to. */
    DatasetFormat format();

    /** A plain text for language modelling. */
    record Text(String text) implements Example {
        /** Checks the field is present. */
        public Text {
            Objects.requireNonNull(text, "text");
        }

        @Override
        public DatasetFormat format() {
            return DatasetFormat.TEXT;
        }
    }

    /** A prompt and the completion the model learns to produce. */
    record PromptCompletion(String prompt, String completion) implements Example {
        /** Checks the fields are present. */
        public PromptCompletion {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(completion, "completion");
        }

        @Override
        public DatasetFormat format() {
            return DatasetFormat.PROMPT_COMPLETION;
        }
    }

    /** A conversation; assistant turns are what the model learns to produce. */
    record Messages(List<Message> messages) implements Example {
        /** Copies the list and checks it is not empty. */
        public Messages {
            messages = List.copyOf(messages);
            if (messages.isEmpty()) {
                throw new IllegalArgumentException("field \"messages\" is empty");
            }
        }

        @Override
        public DatasetFormat format() {
            return DatasetFormat.MESSAGES;
        }
    }

    /** A prompt with a preferred and a rejected answer (DPO). */
    record Preference(String prompt, String chosen, String rejected) implements Example {
        /** Checks the fields are present. */
        public Preference {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(chosen, "chosen");
            Objects.requireNonNull(rejected, "rejected");
        }

        @Override
        public DatasetFormat format() {
            return DatasetFormat.PREFERENCE;
        }
    }

    /** One turn of a conversation. */
    record Message(String role, String content) {
        /** The roles chat templates understand. */
        public static final List<String> ROLES = List.of("system", "user", "assistant", "tool");

        /** Checks the role is one of {@link #ROLES}. */
        public Message {
            Objects.requireNonNull(content, "content");
            if (!ROLES.contains(role)) {
                throw new IllegalArgumentException("unknown role \"" + role + "\" (expected one of " + String.join(", ", ROLES) + ")");
            }
        }

        /** Whether this turn is produced by the model (and so counted as completion). */
        public boolean isAssistant() {
            return role.equals("assistant");
        }
    }
}

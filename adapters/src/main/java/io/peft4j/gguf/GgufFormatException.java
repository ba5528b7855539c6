package io.peft4j.gguf;

import io.peft4j.core.Peft4jException;
import java.nio.file.Path;

/**
 * A GGUF file breaks a rule of the format. The message is one line, {@code "<file>: <problem>"};
 * {@link #rule()} tells which rule.
 */
public final class GgufFormatException extends Peft4jException {

    /** The rules a GGUF file must follow (as llama.cpp's {@code gguf_init_from_file} checks them), one constant each. */
    public enum Rule {
        /** The file is shorter than the 24-byte fixed header. */
        FILE_TOO_SMALL,
        /** The first four bytes are not {@code GGUF}. */
        BAD_MAGIC,
        /** The version is not 2 or 3 (1 is obsolete; a huge one means a big-endian file). */
        UNSUPPORTED_VERSION,
        /** A tensor, key-value or array element count is larger than the rest of the file could hold. */
        COUNT_EXCEEDS_FILE,
        /** The file ends inside a key-value pair or a tensor entry. */
        TRUNCATED,
        /** A string's declared length runs past the end of the file (or past llama.cpp's 1 GiB limit). */
        STRING_PAST_END,
        /** A key or string is not valid UTF-8, or a key is empty. */
        INVALID_STRING,
        /** A metadata key appears twice. */
        DUPLICATE_KEY,
        /** A value type id is unknown, or an array holds arrays. */
        UNKNOWN_VALUE_TYPE,
        /** {@code general.alignment} is not a uint32 power of two. */
        INVALID_ALIGNMENT,
        /** A tensor name appears twice. */
        DUPLICATE_TENSOR,
        /** A tensor name is 64 bytes or longer (ggml's {@code GGML_MAX_NAME}). */
        TENSOR_NAME_TOO_LONG,
        /** A tensor has more than 4 dimensions, a negative dimension, or more elements than 64 bits count. */
        INVALID_DIMENSIONS,
        /** A tensor's type id is not a ggml type. */
        UNKNOWN_TENSOR_TYPE,
        /** A tensor's row length is not a multiple of its type's block size. */
        ROW_NOT_BLOCK_MULTIPLE,
        /** A tensor's data offset is not a multiple of the alignment. */
        MISALIGNED_TENSOR,
        /** A tensor's data starts inside the previous tensor's. */
        OVERLAPPING_TENSORS,
        /** A tensor's data does not start right after the previous tensor's (padded), as llama.cpp requires. */
        TENSOR_GAP,
        /** A tensor's data runs past the end of the file. */
        TENSOR_PAST_END
    }

    private final Rule rule;
    private final Path file;

    /** Creates the exception for {@code file} breaking {@code rule}, explained by {@code detail}. */
    public GgufFormatException(Path file, Rule rule, String detail) {
        super((file + ": " + detail).replace("\r", "\\r").replace("\n", "\\n"));
        this.rule = rule;
        this.file = file;
    }

    /** The rule the file breaks. */
    public Rule rule() {
        return rule;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }
}

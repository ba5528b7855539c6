package io.peft4j.safetensors;

import io.peft4j.core.Peft4jException;
import java.nio.file.Path;

/**
 * A safetensors file (or a sharded checkpoint's index) breaks a rule of the format. The message
 * is one line, {@code "<file>: <rule violated>"}; {@link #rule()} tells which rule.
 */
public final class SafetensorsFormatException extends Peft4jException {

    /** The rules a safetensors file or sharded checkpoint must follow, one constant each. */
    public enum Rule {
        /** The file is shorter than the 8-byte header length prefix. */
        FILE_TOO_SMALL,
        /** The declared header length exceeds the reference's 100,000,000-byte limit. */
        HEADER_TOO_LARGE,
        /** The declared header length runs past the end of the file. */
        HEADER_EXCEEDS_FILE,
        /** The header bytes are not valid UTF-8. */
        HEADER_NOT_UTF8,
        /** The header is not well-formed JSON, or nests arrays and objects 128 deep (the reference's limit). */
        HEADER_NOT_JSON,
        /** The header's JSON value is not an object. */
        HEADER_NOT_OBJECT,
        /** A key (tensor name or {@code __metadata__}) appears twice in the header. */
        DUPLICATE_KEY,
        /** A tensor entry lacks {@code dtype}, {@code shape} or {@code data_offsets}. */
        MISSING_FIELD,
        /** A tensor entry or one of its fields has the wrong JSON type or form. */
        INVALID_FIELD,
        /** A tensor's dtype is not one safetensors knows. */
        UNKNOWN_DTYPE,
        /** A shape has a negative dimension. */
        NEGATIVE_DIMENSION,
        /** The element count or byte size of a tensor overflows 64 bits. */
        SIZE_OVERFLOW,
        /** A tensor of sub-byte elements (F4, F6) does not fill whole bytes (the reference's MisalignedSlice). */
        SUB_BYTE_MISALIGNED,
        /** A tensor's byte range does not match its shape times its element size. */
        SIZE_MISMATCH,
        /** Tensor byte ranges, sorted by offset, do not tile the data area from 0 (hole or overlap). */
        OFFSETS_NOT_CONTIGUOUS,
        /** The tensors do not end exactly at the end of the file (truncated or trailing bytes). */
        DATA_SIZE_MISMATCH,
        /** {@code __metadata__} is not an object mapping strings to strings. */
        INVALID_METADATA,
        /** A sharded checkpoint's index is not the expected JSON. */
        INVALID_INDEX,
        /** A shard named by the index does not exist. */
        SHARD_MISSING,
        /** A shard does not hold a tensor the index assigns to it. */
        SHARD_TENSOR_MISSING
    }

    /** The rule the file breaks. */
    private final Rule rule;
    /** The file that breaks it. */
    private final Path file;

    /** Creates the exception for {@code file} breaking {@code rule}, explained by {@code detail}. */
    public SafetensorsFormatException(Path file, Rule rule, String detail) {
        super(oneLine(file + ": " + detail));
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

    private static String oneLine(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }
}

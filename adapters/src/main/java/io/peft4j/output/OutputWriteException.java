package io.peft4j.output;

import io.peft4j.core.Peft4jException;

/** A result that could not be written or moved into place (disk full, permissions, an interrupted run). */
public final class OutputWriteException extends Peft4jException {

    /** Creates the exception with its one-line message. */
    public OutputWriteException(String message) {
        super(message);
    }

    /** Creates the exception with its one-line message and cause. */
    public OutputWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}

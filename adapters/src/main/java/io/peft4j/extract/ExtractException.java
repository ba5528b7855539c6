package io.peft4j.extract;

import io.peft4j.core.Peft4jException;

/** An extraction that cannot be done: models that do not match, bad options, an unreadable input. */
public class ExtractException extends Peft4jException {

    /** An exception with a one-line message naming the file or module and the problem. */
    public ExtractException(String message) {
        super(message);
    }

    /** An exception with a one-line message and its cause. */
    public ExtractException(String message, Throwable cause) {
        super(message, cause);
    }
}

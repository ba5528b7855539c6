package io.peft4j.merge;

import io.peft4j.core.Peft4jException;

/**
 * A merge or soup that cannot be done as asked: adapters that do not fit the base or each other,
 * unsupported inputs, bad options. The message is one line naming the file or module and the problem.
 */
public final class MergeException extends Peft4jException {

    /** Creates the exception with its one-line message. */
    public MergeException(String message) {
        super(message);
    }

    /** Creates the exception with its one-line message and cause. */
    public MergeException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.peft4j.bridge;

import io.peft4j.core.Peft4jException;

/**
 * The Python environment is missing, incomplete or cannot be created. The message is one line
 * that says what is missing and the command that fixes it.
 */
public final class PythonEnvironmentException extends Peft4jException {

    /** Creates the exception with a one-line message naming the problem and its fix. */
    public PythonEnvironmentException(String message) {
        super(message);
    }

    /** Creates the exception with a one-line message and its cause. */
    public PythonEnvironmentException(String message, Throwable cause) {
        super(message, cause);
    }
}

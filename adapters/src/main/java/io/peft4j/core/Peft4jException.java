package io.peft4j.core;

/**
 * Base of every exception peft4j throws on purpose: bad input files, network faults, Python
 * errors. Its message is one line a user can act on, naming the file or resource and the problem;
 * the CLI prints exactly that line.
 */
public class Peft4jException extends RuntimeException {

    /** Creates an exception with a one-line, user-facing message. */
    public Peft4jException(String message) {
        super(message);
    }

    /** Creates an exception with a one-line, user-facing message and its cause. */
    public Peft4jException(String message, Throwable cause) {
        super(message, cause);
    }
}

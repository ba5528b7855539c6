package io.peft4j.estimate;

import io.peft4j.core.Peft4jException;

/** A model, config or estimate request peft4j cannot estimate, with a one-line reason. */
public final class EstimateException extends Peft4jException {

    /** Creates the exception with a one-line, user-facing message. */
    public EstimateException(String message) {
        super(message);
    }

    /** Creates the exception with a one-line, user-facing message and its cause. */
    public EstimateException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.peft4j;

import io.peft4j.core.Peft4jException;

/** A training, generation or evaluation setting that cannot work: the message names the setting and why. */
public final class TrainConfigException extends Peft4jException {

    /** Creates the exception with a one-line message naming the setting and the problem. */
    public TrainConfigException(String message) {
        super(message);
    }
}

package io.peft4j.output;

import io.peft4j.core.Peft4jException;

/** An output that already holds something and may not be replaced (no {@code --overwrite}), or never may be. */
public final class OutputExistsException extends Peft4jException {

    /** Creates the exception with its one-line message. */
    public OutputExistsException(String message) {
        super(message);
    }
}

package io.peft4j.hub;

import io.peft4j.core.Peft4jException;

/**
 * A failure talking to the Hugging Face Hub or reading its cache. Subclasses carry the Hub's own
 * meaning (from its {@code X-Error-Code} header); the message is one line naming the repository
 * and, where there is one, the file.
 */
public class HubException extends Peft4jException {

    /** Creates an exception with a one-line message. */
    public HubException(String message) {
        super(message);
    }

    /** Creates an exception with a one-line message and its cause. */
    public HubException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.peft4j.hub;

/**
 * A model, adapter or tokenizer named by the user is neither a local file or folder nor found on
 * the Hub; the message is one line saying both, e.g. {@code nosuch/base: no such local folder, and
 * nosuch/base is not reachable on the Hub (unknown host huggingface.co)}.
 */
public final class ModelNotFoundException extends HubException {

    /** Why it was not found. */
    private final String reason;

    /** Creates the exception for what the user wrote and why it was not found ({@code cause} may be null). */
    public ModelNotFoundException(String text, String reason, Throwable cause) {
        super(text + ": " + reason, cause);
        this.reason = reason;
    }

    /** Why it was not found: the message without the name in front. */
    public String reason() {
        return reason;
    }
}

package io.peft4j.hub;

/**
 * Any other failure reaching the Hub: an unexpected HTTP status (after retries), a connection
 * fault, a malformed answer, or a download that failed its size or sha256 check.
 */
public final class HubHttpException extends HubException {

    private final int status;

    /** Creates the exception; {@code status} is the HTTP status, or 0 when there was no response. */
    public HubHttpException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status of the failing response, or 0 for a network fault or a bad answer. */
    public int status() {
        return status;
    }
}

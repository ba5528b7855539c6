package io.peft4j.serve;

import io.peft4j.core.Peft4jException;

/**
 * A request the server refuses or cannot answer, with the HTTP status and OpenAI error type it is
 * answered with ({@code {"error": {"message", "type", "param", "code"}}}).
 */
public final class ServeException extends Peft4jException {

    private final int status;
    private final String type;

    /** An error answered with {@code status} and OpenAI's error {@code type}. */
    public ServeException(int status, String type, String message) {
        super(message);
        this.status = status;
        this.type = type;
    }

    /** A bad request (400, {@code invalid_request_error}). */
    static ServeException badRequest(String message) {
        return new ServeException(400, "invalid_request_error", message);
    }

    /** An unknown model or adapter (404, {@code NotFoundError}). */
    static ServeException notFound(String message) {
        return new ServeException(404, "NotFoundError", message);
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** OpenAI's error type, e.g. {@code invalid_request_error}. */
    public String type() {
        return type;
    }
}

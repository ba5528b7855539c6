package io.peft4j.bridge;

import io.peft4j.core.Peft4jException;

/**
 * An exception raised by Python code run through {@link PythonRuntime}. The message is one line,
 * {@code "<Type>: <message>"}; the formatted Python traceback is kept in {@link #traceback()}.
 */
public final class PythonException extends Peft4jException {

    /** The Python exception's type. */
    private final String pythonType;
    /** The Python exception's message. */
    private final String pythonMessage;
    /** The formatted Python traceback. */
    private final String traceback;

    /**
     * Creates the exception.
     *
     * @param pythonType the exception's type, e.g. {@code ValueError} or {@code torch.OutOfMemoryError}
     * @param pythonMessage {@code str(exception)}
     * @param traceback the formatted traceback, as {@code traceback.format_exc()} prints it
     * @param cause the Jep exception it came from, or null
     */
    public PythonException(String pythonType, String pythonMessage, String traceback, Throwable cause) {
        super(oneLine(pythonType, pythonMessage), cause);
        this.pythonType = pythonType;
        this.pythonMessage = pythonMessage;
        this.traceback = traceback;
    }

    /** The Python exception's type name, qualified by its module unless it is a builtin. */
    public String pythonType() {
        return pythonType;
    }

    /** The Python exception's message ({@code str(exception)}), possibly several lines. */
    public String pythonMessage() {
        return pythonMessage;
    }

    /** The formatted Python traceback, with file names and line numbers. */
    public String traceback() {
        return traceback;
    }

    private static String oneLine(String type, String message) {
        String first = message == null ? "" : message.lines().findFirst().orElse("");
        return first.isEmpty() ? type : type + ": " + first;
    }
}

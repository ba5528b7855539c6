package io.peft4j.data;

import io.peft4j.core.Peft4jException;
import java.nio.file.Path;

/** A line of a training-data file that cannot be used, with where it is and what is wrong. */
public final class DatasetFormatException extends Peft4jException {

    /** The data file. */
    private final Path file;
    /** The 1-based line number. */
    private final long line;
    /** What is wrong with the line. */
    private final String problem;

    /** Creates the error for {@code file} at 1-based {@code line}; the message is {@code "<file>:<line>: <problem>"}. */
    public DatasetFormatException(Path file, long line, String problem) {
        super(file + ":" + line + ": " + problem);
        this.file = file;
        this.line = line;
        this.problem = problem;
    }

    /** The data file. */
    public Path file() {
        return file;
    }

    /** The 1-based line number. */
    public long line() {
        return line;
    }

    /** What is wrong with the line, without the location. */
    public String problem() {
        return problem;
    }
}

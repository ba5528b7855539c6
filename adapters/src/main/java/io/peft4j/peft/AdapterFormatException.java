package io.peft4j.peft;

import io.peft4j.core.Peft4jException;
import java.nio.file.Path;

/**
 * An adapter directory or {@code adapter_config.json} that PEFT would not load, or whose tensors
 * disagree with its configuration. The message is one line: {@code "<file>: <problem>"}.
 */
public final class AdapterFormatException extends Peft4jException {

    /** The file that is wrong. */
    private final Path file;

    /** Creates the exception for {@code file} with a one-line description of the problem. */
    public AdapterFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** The file or directory the problem was found in. */
    public Path file() {
        return file;
    }
}

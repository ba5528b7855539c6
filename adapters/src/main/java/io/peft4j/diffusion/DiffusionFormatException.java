package io.peft4j.diffusion;

import io.peft4j.core.Peft4jException;
import java.nio.file.Path;

/**
 * A diffusion LoRA that cannot be read, converted, merged or souped as asked: an unknown key, a
 * layout that cannot hold the adapter, a model folder that does not fit. The message is one line
 * naming the file and the problem.
 */
public final class DiffusionFormatException extends Peft4jException {

    /** Creates the exception for {@code file}. */
    public DiffusionFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    /** Creates the exception with its one-line message. */
    public DiffusionFormatException(String message) {
        super(message);
    }
}

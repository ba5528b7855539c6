package io.peft4j.safetensors;

import io.peft4j.core.Peft4jException;
import java.nio.file.Path;

/** A tensor was asked for by a name the file (or checkpoint) does not hold. */
public final class TensorNotFoundException extends Peft4jException {

    /** The name that was asked for. */
    private final String tensorName;

    /** Creates the exception for {@code name} missing from {@code file}. */
    public TensorNotFoundException(Path file, String name) {
        super((file + ": no tensor named '" + name + "'").replace("\n", "\\n").replace("\r", "\\r"));
        this.tensorName = name;
    }

    /** The name that was not found. */
    public String tensorName() {
        return tensorName;
    }
}

package io.peft4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds {@code shared/real-adapters/}, the adapters people published, beside the repository (it is
 * not part of the repository and is absent on a user's machine: tests that need it skip visibly).
 */
public final class RealAdapters {

    private RealAdapters() {}

    /** The folder, searched upwards from the working directory as {@code shared/real-adapters}. */
    public static Optional<Path> folder() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            for (Path candidate : new Path[] {dir.resolve("shared/real-adapters"), dir.resolve("../shared/real-adapters")}) {
                if (Files.isDirectory(candidate)) {
                    return Optional.of(candidate.normalize());
                }
            }
            dir = dir.getParent();
        }
        return Optional.empty();
    }

    /** The reason tests print when they skip. */
    public static final String MISSING = "shared/real-adapters/ is not beside this checkout (it holds third-party"
            + " adapters used only as test data); skipping";
}

package io.peft4j.merge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A result directory built in a hidden temporary sibling and renamed into place by {@link #commit()};
 * closing without committing deletes the temporary directory, so a failure leaves nothing behind.
 */
public final class OutputDirectory implements AutoCloseable {

    private final Path target;
    private final Path temp;
    private boolean committed;

    private OutputDirectory(Path target, Path temp) {
        this.target = target;
        this.temp = temp;
    }

    /** Refuses a target that exists and is not an empty directory. */
    public static void checkFree(Path target) {
        if (Files.isRegularFile(target)) {
            throw new MergeException(target + ": output exists and is a file");
        }
        if (Files.isDirectory(target)) {
            try (Stream<Path> list = Files.list(target)) {
                if (list.findAny().isPresent()) {
                    throw new MergeException(target + ": output directory exists and is not empty");
                }
            } catch (IOException e) {
                throw new MergeException(target + ": cannot read: " + e.getMessage(), e);
            }
        }
    }

    /** Creates the temporary directory beside {@code target}. */
    public static OutputDirectory create(Path target) {
        checkFree(target);
        Path absolute = target.toAbsolutePath().normalize();
        try {
            Files.createDirectories(absolute.getParent());
            Path temp = Files.createTempDirectory(absolute.getParent(), "." + absolute.getFileName() + ".tmp-");
            return new OutputDirectory(absolute, temp);
        } catch (IOException e) {
            throw new MergeException(target + ": cannot create: " + e.getMessage(), e);
        }
    }

    /** Where to write the files. */
    public Path path() {
        return temp;
    }

    /** Copies a file into the directory under the same name. */
    public void copy(Path file) {
        try {
            Files.copy(file, temp.resolve(file.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            throw new MergeException(file + ": cannot copy: " + e.getMessage(), e);
        }
    }

    /** Renames the directory into place. */
    public void commit() {
        try {
            if (Files.isDirectory(target)) {
                Files.delete(target); // checked empty before
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
        } catch (DirectoryNotEmptyException e) {
            throw new MergeException(target + ": output directory was filled by someone else meanwhile", e);
        } catch (IOException e) {
            throw new MergeException(target + ": cannot move the result into place: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (committed) {
            return;
        }
        try (Stream<Path> walk = Files.walk(temp)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort: the temporary directory is hidden and named after the target
        }
    }
}

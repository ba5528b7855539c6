package io.peft4j.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The overwrite rule of every peft4j command and API that writes a result: an output that does not
 * exist, or is an empty folder (or an empty file), is written; one that holds something is refused
 * unless the caller asked to replace it ({@code --overwrite} on the command line, {@code overwrite(true)}
 * in the API). Replacing never touches an input: an output that is, or contains, one of the inputs is
 * refused even with overwrite. A folder is never replaced by a file or the other way round.
 *
 * <p>Writers that build their result beside the target and rename it into place (merge, soup) call
 * {@link #checkFolder} (or {@link #checkFile}); writers that write into the target itself (training,
 * which keeps its checkpoints there) call {@link #clearFolder}, which also empties the folder when
 * replacing is allowed.
 */
public final class OutputPolicy {

    private OutputPolicy() {}

    /**
     * Refuses the output folder {@code folder} when it holds something and {@code overwrite} is
     * false, when it is a file, or when replacing it would delete one of {@code inputs}.
     *
     * @param folder    the folder to write
     * @param overwrite whether an existing output may be replaced
     * @param inputs    what the command reads (null entries are skipped); none may be the output or inside it
     * @throws OutputExistsException when the output may not be written
     */
    public static void checkFolder(Path folder, boolean overwrite, Path... inputs) {
        check(folder, false, overwrite, inputs);
    }

    /** {@link #checkFolder} for an output that is a single file (a plot): refused when it is a folder. */
    public static void checkFile(Path file, boolean overwrite, Path... inputs) {
        check(file, true, overwrite, inputs);
    }

    /**
     * {@link #checkFolder} for a folder written in place, then, when it holds something (so
     * {@code overwrite} is true), deletes everything in it, leaving the empty folder.
     */
    public static void clearFolder(Path folder, boolean overwrite, Path... inputs) {
        checkFolder(folder, overwrite, inputs);
        if (!holdsSomething(folder)) {
            return;
        }
        Path real = real(folder);
        try (Stream<Path> walk = Files.walk(real)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(real)) {
                    Files.delete(p);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new OutputExistsException(folder + ": cannot empty the output folder: " + e.getMessage());
        }
    }

    private static void check(Path target, boolean file, boolean overwrite, Path... inputs) {
        if (file ? Files.isDirectory(target) : Files.isRegularFile(target)) {
            throw new OutputExistsException(target + ": output exists and is a " + (file ? "folder" : "file"));
        }
        if (!holdsSomething(target)) {
            return;
        }
        if (!overwrite) {
            throw new OutputExistsException(target + ": output " + (file ? "file" : "folder") + " exists and is not empty"
                    + " (--overwrite, or overwrite(true) in the API, replaces it)");
        }
        Path out = real(target);
        for (Path input : inputs) {
            if (input != null && Files.exists(input) && real(input).startsWith(out)) {
                throw new OutputExistsException(target + ": the output would replace the input " + input
                        + "; write the result somewhere else");
            }
        }
    }

    private static boolean holdsSomething(Path target) {
        try {
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(target)) {
                try (Stream<Path> list = Files.list(target)) {
                    return list.findAny().isPresent();
                }
            }
            return Files.exists(target, LinkOption.NOFOLLOW_LINKS) && (!Files.isRegularFile(target) || Files.size(target) > 0);
        } catch (IOException e) {
            throw new OutputExistsException(target + ": cannot read the output: " + e.getMessage());
        }
    }

    private static Path real(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path.toAbsolutePath().normalize();
        }
    }
}

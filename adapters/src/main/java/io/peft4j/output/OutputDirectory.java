package io.peft4j.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A result directory built in a hidden sibling {@code .NAME.tmp-ID} and renamed into place by
 * {@link #commit()}; closing without committing deletes it, so a failure leaves nothing behind.
 *
 * <p>Interruptions: a shutdown hook deletes the unfinished directory when the JVM is stopped
 * (Ctrl-C, SIGTERM). Nothing runs on SIGKILL or a power cut, so each directory has a lock file
 * {@code .NAME.tmp-ID.lock} beside it, locked for as long as its process lives; the next
 * {@link #create} in the same parent folder deletes every such directory whose lock it can take,
 * which proves its owner is gone (the system releases a dead process's locks). Directories without
 * that lock file are never touched.
 *
 * <p>Replacing (overwrite): the old target is renamed to {@code .NAME.old-ID}, the new one renamed
 * into place, then the old one deleted.
 */
public final class OutputDirectory implements AutoCloseable {

    private static final Pattern STAGED = Pattern.compile("\\.(.+)\\.(?:tmp|old)-([0-9a-f]{16})");
    private static final Pattern LOCK = Pattern.compile("\\.(.+)\\.tmp-([0-9a-f]{16})\\.lock");
    /** The directories being written; also the lock that orders their creation against the shutdown hook. */
    private static final Set<OutputDirectory> LIVE = ConcurrentHashMap.newKeySet();
    /** Set when the JVM starts to exit: no directory is created after that. Guarded by {@link #LIVE}. */
    private static boolean stopping;

    static {
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(OutputDirectory::abortAll, "peft4j-output-cleanup"));
        } catch (IllegalStateException shuttingDown) {
            stopping = true;
        }
    }

    private final Path target;
    private final Path temp;
    private final Path old;
    private final Path lockFile;
    private final FileChannel lockChannel;
    private final boolean overwrite;
    private boolean committed;
    private boolean aborted;

    private OutputDirectory(Path target, String id, FileChannel lockChannel, boolean overwrite) {
        String name = target.getFileName().toString();
        this.target = target;
        this.temp = target.resolveSibling("." + name + ".tmp-" + id);
        this.old = target.resolveSibling("." + name + ".old-" + id);
        this.lockFile = lockFile(target.getParent(), name, id);
        this.lockChannel = lockChannel;
        this.overwrite = overwrite;
    }

    /** Refuses a target that holds something unless {@code overwrite} (see {@link OutputPolicy}). */
    public static void checkFree(Path target, boolean overwrite, Path... inputs) {
        OutputPolicy.checkFolder(target, overwrite, inputs);
    }

    /**
     * Checks the target, removes the unfinished outputs of dead peft4j processes beside it, and
     * creates the temporary directory, with the permissions the umask gives any new directory
     * ({@code Files.createTempDirectory} would make it, and so the result, 0700).
     */
    public static OutputDirectory create(Path target, boolean overwrite, Path... inputs) {
        checkFree(target, overwrite, inputs);
        Path absolute = target.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        try {
            Files.createDirectories(parent);
            sweep(parent);
            for (int attempt = 0; ; attempt++) {
                String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
                Path lock = lockFile(parent, absolute.getFileName().toString(), id);
                FileChannel channel;
                try {
                    channel = FileChannel.open(lock, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                } catch (FileAlreadyExistsException taken) {
                    if (attempt < 10) {
                        continue;
                    }
                    throw taken;
                }
                OutputDirectory out = new OutputDirectory(absolute, id, channel, overwrite);
                try {
                    channel.lock();
                    synchronized (LIVE) {
                        if (stopping) {
                            throw new OutputWriteException(target + ": interrupted before anything was written");
                        }
                        Files.createDirectory(out.temp);
                        LIVE.add(out);
                    }
                } catch (IOException | RuntimeException e) {
                    out.close();
                    throw e;
                }
                return out;
            }
        } catch (IOException e) {
            throw new OutputWriteException(target + ": cannot create: " + e.getMessage(), e);
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
            throw new OutputWriteException(file + ": cannot copy: " + e.getMessage(), e);
        }
    }

    /** Renames the directory into place, replacing what is there when allowed. */
    public synchronized void commit() {
        if (aborted) {
            throw new OutputWriteException(target + ": interrupted; the unfinished output was removed");
        }
        try {
            boolean replacing = false;
            if (Files.isDirectory(target)) {
                try {
                    Files.delete(target);
                } catch (DirectoryNotEmptyException full) {
                    if (!overwrite) {
                        throw new OutputWriteException(target + ": output directory was filled by someone else meanwhile", full);
                    }
                    Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                    replacing = true;
                }
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (replacing) {
                    Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                }
                throw e;
            }
            committed = true;
        } catch (IOException e) {
            throw new OutputWriteException(target + ": cannot move the result into place: " + e.getMessage(), e);
        }
    }

    /** Deletes what is left: the unfinished directory, or the replaced one; then the lock file. */
    @Override
    public void close() {
        LIVE.remove(this);
        deleteLeftovers();
    }

    /** The shutdown hook: no directory is created or committed after this, and nothing unfinished stays. */
    private static void abortAll() {
        synchronized (LIVE) {
            stopping = true;
        }
        LIVE.forEach(OutputDirectory::abort);
    }

    /** Stops one directory: no commit after this, and its unfinished files are deleted. */
    private void abort() {
        synchronized (this) {
            aborted = true;
        }
        deleteLeftovers();
    }

    private void deleteLeftovers() {
        deleteTree(temp);
        deleteTree(old);
        if (Files.notExists(temp) && Files.notExists(old)) {
            try {
                Files.deleteIfExists(lockFile);
            } catch (IOException e) {
                // the lock file is empty and hidden; the next sweep removes it
            }
        }
        try {
            lockChannel.close();
        } catch (IOException e) {
            // closing releases the lock; nothing else to do
        }
    }

    /** Deletes the unfinished outputs in {@code parent} whose process is provably gone. */
    private static void sweep(Path parent) {
        try (Stream<Path> list = Files.list(parent)) {
            for (Path entry : list.toList()) {
                String name = entry.getFileName().toString();
                Matcher staged = STAGED.matcher(name);
                Matcher lock = LOCK.matcher(name);
                if (staged.matches() && Files.isDirectory(entry)) {
                    removeIfDead(lockFile(parent, staged.group(1), staged.group(2)), entry);
                } else if (lock.matches()) {
                    String base = "." + lock.group(1);
                    if (Files.notExists(parent.resolve(base + ".tmp-" + lock.group(2)))
                            && Files.notExists(parent.resolve(base + ".old-" + lock.group(2)))) {
                        removeIfDead(entry, null);
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // sweeping is a courtesy: a folder we cannot list or delete stays as it was
        }
    }

    /** Deletes {@code directory} (if any) and {@code lock} when the lock can be taken, that is when its owner is dead. */
    private static void removeIfDead(Path lock, Path directory) throws IOException {
        if (LIVE.stream().anyMatch(live -> live.lockFile.equals(lock))) {
            return; // ours, alive; opening and closing its lock file again would release the lock (POSIX locks)
        }
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock taken = channel.tryLock();
            if (taken == null) {
                return; // a live process holds it
            }
            if (directory != null) {
                deleteTree(directory);
            }
            if (directory == null || Files.notExists(directory)) {
                Files.deleteIfExists(lock);
            }
        } catch (NoSuchFileException | OverlappingFileLockException e) {
            // no lock file: not provably ours; held by this JVM: alive
        }
    }

    private static Path lockFile(Path parent, String name, String id) {
        return parent.resolve("." + name + ".tmp-" + id + ".lock");
    }

    private static void deleteTree(Path root) {
        for (int attempt = 0; attempt < 20 && Files.exists(root); attempt++) {
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException | UncheckedIOException e) {
                // a writer still adding files (during shutdown): walk again
            }
        }
    }
}

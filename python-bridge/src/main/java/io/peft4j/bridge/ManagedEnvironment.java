package io.peft4j.bridge;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The venv peft4j manages at {@code $PEFT4J_HOME/envs/<key>/}, where the key is the first 16 hex
 * digits of the SHA-256 of the pinned requirements file: a changed pin gives a fresh environment
 * beside the old one.
 *
 * <p>Creation runs under an exclusive lock ({@code envs/<key>.lock}, a file lock between processes
 * and a lock between threads of this JVM): the first caller installs, the others wait and then
 * reuse its result. The venv is installed in place (venvs are not relocatable: their scripts
 * hard-code the path) and counts as complete only once the marker file {@value #MARKER} has been
 * written, atomically, after a successful install; a partial directory left by an interrupted run is
 * deleted and installed again.
 */
final class ManagedEnvironment {

    /** The file whose presence marks a complete environment. */
    static final String MARKER = "peft4j-env.json";

    private static final ConcurrentHashMap<Path, ReentrantLock> THREAD_LOCKS = new ConcurrentHashMap<>();

    private ManagedEnvironment() {}

    /** Installs an environment into an empty directory, writing the full output to {@code log}. */
    interface Installation {
        /** Installs into {@code target}. */
        void install(Path target, Path log) throws IOException;
    }

    /**
     * Returns the managed venv for {@code requirements}, installing it first if it is not complete.
     *
     * @param home peft4j's cache directory
     * @param requirements the pinned requirements (their hash is the key)
     * @param bridgePath the directory holding {@code peft4j_bridge}
     * @param installer installs into an empty directory
     * @param listener receives progress
     * @return the venv directory
     */
    static Path ensure(Path home, Requirements requirements, Path bridgePath, EnvironmentInstaller installer,
                       ProgressListener listener) {
        return ensure(home, requirements.key(), "downloads torch and friends, several GB, a few minutes",
                (target, log) -> installer.install(target, requirements, bridgePath, log, listener), listener);
    }

    /**
     * Returns the managed venv {@code envs/<key>}, installing it first with {@code installation} if
     * it is not complete.
     *
     * @param home peft4j's cache directory
     * @param key the environment's directory name (a hash of what it holds)
     * @param cost what the first set-up costs, for the progress line
     * @param installation installs into an empty directory
     * @param listener receives progress
     * @return the venv directory
     */
    static Path ensure(Path home, String key, String cost, Installation installation, ProgressListener listener) {
        Path envs = home.resolve("envs");
        Path target = envs.resolve(key);
        if (isComplete(target)) {
            return target;
        }
        Path lockFile = envs.resolve(key + ".lock");
        ReentrantLock threadLock = THREAD_LOCKS.computeIfAbsent(lockFile, f -> new ReentrantLock());
        if (!threadLock.tryLock()) {
            listener.step("waiting for another thread that is setting up " + target);
            threadLock.lock();
        }
        try {
            Files.createDirectories(envs);
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    listener.step("waiting for another peft4j process that is setting up " + target);
                    lock = channel.lock();
                }
                try {
                    if (!isComplete(target)) {
                        install(target, key, cost, installation, listener);
                    }
                } finally {
                    lock.release();
                }
            }
            return target;
        } catch (IOException e) {
            throw new PythonEnvironmentException("cannot set up the Python environment in " + target + ": " + e.getMessage()
                    + " (check that PEFT4J_HOME=" + home + " is writable)", e);
        } finally {
            threadLock.unlock();
        }
    }

    /** Whether {@code venv} holds a completely installed environment. */
    static boolean isComplete(Path venv) {
        return Files.isRegularFile(venv.resolve(MARKER));
    }

    private static void install(Path target, String key, String cost, Installation installation,
                                ProgressListener listener) throws IOException {
        BridgePackage.deleteTree(target);
        Path log = target.resolveSibling(target.getFileName() + ".log");
        listener.step("creating the Python environment in " + target
                + " (first use only: " + cost + "; log: " + log + ")");
        long start = System.nanoTime();
        installation.install(target, log);
        Path temp = target.resolve(MARKER + ".tmp");
        Files.writeString(temp, "{\"requirements_key\": \"" + key + "\", \"created\": \""
                + Instant.now() + "\"}\n", StandardCharsets.UTF_8);
        Files.move(temp, target.resolve(MARKER), StandardCopyOption.ATOMIC_MOVE);
        listener.step(String.format("Python environment ready in %.0f s: %s", (System.nanoTime() - start) / 1e9, target));
    }
}

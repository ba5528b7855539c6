package io.peft4j.bridge;

import java.nio.file.Path;

/**
 * Creates a Python environment in an empty directory. {@link ManagedEnvironment} takes care of
 * locking and of marking the result complete; the installer only installs.
 */
interface EnvironmentInstaller {

    /**
     * Installs a venv with {@code requirements} into {@code target}.
     *
     * @param target the directory to create (absent or empty)
     * @param requirements the pinned requirements (jep included)
     * @param bridgePath the directory holding {@code peft4j_bridge} (for its {@code probe.py})
     * @param log the file the full install output goes to
     * @param listener receives steps and output lines
     * @throws PythonEnvironmentException naming what failed and the command that fixes it
     */
    void install(Path target, Requirements requirements, Path bridgePath, Path log, ProgressListener listener);
}

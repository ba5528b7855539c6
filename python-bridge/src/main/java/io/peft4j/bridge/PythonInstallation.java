package io.peft4j.bridge;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What {@code peft4j_bridge/probe.py} reports about a Python installation.
 *
 * @param executable {@code sys.executable}
 * @param prefix {@code sys.prefix} (the venv directory for a venv)
 * @param version the Python version, e.g. {@code 3.11.7}
 * @param headers whether {@code Python.h} is installed (needed to build jep)
 * @param sharedLibpython whether Python was built with a shared libpython (needed to embed it)
 * @param venvModule whether {@code venv} and {@code ensurepip} are importable
 * @param jep the installed jep, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record PythonInstallation(String executable, String prefix, String version, boolean headers, boolean sharedLibpython,
                                 boolean venvModule, Jep jep) {

    /**
     * The jep Python package found in the installation.
     *
     * @param dir the {@code jep} package directory (holds {@code libjep.so})
     * @param version its distribution version, or null if unknown
     * @param builtFor the Python version its extension module was built for ({@code 3.11}), or null if unknown
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Jep(String dir, String version, String builtFor) {}

    /** Whether this Python is at least {@code major.minor}. */
    public boolean atLeast(int major, int minor) {
        String[] parts = version.split("\\.");
        int ma = Integer.parseInt(parts[0]);
        int mi = Integer.parseInt(parts[1]);
        return ma > major || (ma == major && mi >= minor);
    }

    /** {@code major.minor}, e.g. {@code 3.11}. */
    public String minorVersion() {
        String[] parts = version.split("\\.");
        return parts[0] + "." + parts[1];
    }
}

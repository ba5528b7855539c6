package io.peft4j.bridge;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * A Python environment peft4j can embed: a python with the pinned libraries and a jep built for
 * the running JDK. Either the one {@code PEFT4J_PYTHON} names (an interpreter or a venv directory,
 * used as is) or the managed venv under {@code $PEFT4J_HOME/envs/<hash of requirements.txt>/},
 * created on first use.
 *
 * @param home the environment's {@code sys.prefix} (the venv directory)
 * @param pythonExecutable its python, used as the embedded interpreter's program name and by
 *     {@code multiprocessing}
 * @param sitePackages the site-packages holding jep
 * @param jepLibrary jep's native library ({@code libjep.so})
 * @param pythonVersion the Python version, e.g. {@code 3.11.7}
 * @param jepVersion the installed jep version (equal to the jep jar's)
 * @param bridgePath the directory holding the {@code peft4j_bridge} package
 */
public record PythonEnvironment(Path home, Path pythonExecutable, Path sitePackages, Path jepLibrary,
                                String pythonVersion, String jepVersion, Path bridgePath) {

    private static final Pattern JAR_VERSION = Pattern.compile("jep-(\\d+(?:\\.\\d+)+)\\.jar$");
    private static volatile ProgressListener progress = ProgressListener.logging(LoggerFactory.getLogger(PythonEnvironment.class));

    /**
     * Resolves the environment from the environment variables, creating it if needed; the creation's
     * progress goes to the listener of {@link #setProgressListener} (by default, the SLF4J logger of
     * this class: steps at INFO, status and pip's lines at DEBUG).
     */
    public static PythonEnvironment resolve() {
        return ensure(progress);
    }

    /**
     * Where {@link #resolve()} (and so the first training, generation or evaluation of a JVM) reports
     * the creation of the environment, e.g. {@link ProgressListener#console} for a command line.
     */
    public static void setProgressListener(ProgressListener listener) {
        progress = java.util.Objects.requireNonNull(listener, "listener");
    }

    /**
     * Resolves the environment from the environment variables, creating the managed one if needed.
     *
     * @param listener receives the set-up's steps and pip's output
     * @throws PythonEnvironmentException naming what is missing and the command that fixes it
     */
    public static PythonEnvironment ensure(ProgressListener listener) {
        EnvironmentSettings settings = EnvironmentSettings.fromEnvironment();
        return ensure(settings, listener, new PipInstaller(settings.basePython()));
    }

    /**
     * The environment {@link #resolve()} would return if it needs no installing: the one
     * {@code PEFT4J_PYTHON} names, or the managed venv when it is already complete; empty otherwise.
     * Never installs anything.
     *
     * @throws PythonEnvironmentException if {@code PEFT4J_PYTHON} names an environment that cannot be embedded
     */
    public static Optional<PythonEnvironment> findInstalled() {
        EnvironmentSettings settings = EnvironmentSettings.fromEnvironment();
        if (settings.python() == null
                && !ManagedEnvironment.isComplete(settings.home().resolve("envs").resolve(BridgePackage.requirements().key()))) {
            return Optional.empty();
        }
        return Optional.of(ensure(ProgressListener.logging(LoggerFactory.getLogger(PythonEnvironment.class))));
    }

    /**
     * Resolves the environment for {@code settings}, creating the managed one with {@code installer}
     * if needed. Safe when several threads or processes call it at once: one installs, the others
     * wait and reuse.
     */
    static PythonEnvironment ensure(EnvironmentSettings settings, ProgressListener listener, EnvironmentInstaller installer) {
        Path bridge = BridgePackage.location(settings.home());
        Requirements requirements = BridgePackage.requirements();
        if (settings.python() != null) {
            Path python = executableOf(settings.python());
            PythonInstallation found = PythonProbe.probe(python, bridge);
            if (found == null) {
                throw new PythonEnvironmentException("PEFT4J_PYTHON=" + settings.python() + " cannot be run: point it at a python executable or a venv directory, or unset it to use the managed environment");
            }
            return of(found, bridge, requirements, python);
        }
        Path venv = ManagedEnvironment.ensure(settings.home(), requirements, bridge, installer, listener);
        Path python = venv.resolve("bin").resolve("python");
        PythonInstallation installed = PythonProbe.probe(python, bridge);
        if (installed == null) {
            throw new PythonEnvironmentException("the managed environment " + venv + " is broken (" + python
                    + " cannot be run): delete " + venv + " and run 'peft4j setup'");
        }
        return of(installed, bridge, requirements, python);
    }

    /**
     * The environment {@code base} plus the packages pinned in {@code requirements}, installed as a
     * layer of its own over it (never into {@code base}): a venv under
     * {@code $PEFT4J_HOME/envs/<base key>-<layer key>/} that shares the base's packages through a
     * {@code .pth} file. Created once and reused while neither the base nor the pins change. This is
     * how {@code ./peft4j test} adds its test-only tools, and how an application can add packages
     * of its own without touching peft4j's environment.
     *
     * @param requirements a pip requirements file
     * @param listener receives the set-up's steps and pip's output
     * @throws PythonEnvironmentException if the file cannot be read or the install fails
     */
    public static PythonEnvironment ensureLayer(PythonEnvironment base, Path requirements, ProgressListener listener) {
        Requirements layer;
        try {
            layer = new Requirements(Files.readString(requirements));
        } catch (java.io.IOException e) {
            throw new PythonEnvironmentException("cannot read the layer's requirements " + requirements + ": " + e.getMessage(), e);
        }
        EnvironmentSettings settings = EnvironmentSettings.fromEnvironment();
        String key = new Requirements(base.home().toAbsolutePath().normalize().toString()).key() + "-" + layer.key();
        Path venv = ManagedEnvironment.ensure(settings.home(), key, "installs the pins of " + requirements.getFileName(),
                (target, log) -> PipInstaller.installLayer(target, base, layer, log, listener), listener);
        Path python = venv.resolve("bin").resolve("python");
        PythonInstallation installed = PythonProbe.probe(python, base.bridgePath());
        if (installed == null) {
            throw new PythonEnvironmentException("the layer " + venv + " is broken (" + python + " cannot be run): delete " + venv + " and run again");
        }
        return of(installed, base.bridgePath(), BridgePackage.requirements(), python);
    }

    /** The python inside {@code path} when it is a venv (or prefix) directory, else {@code path}. */
    static Path executableOf(Path path) {
        if (Files.isDirectory(path)) {
            for (String name : new String[] {"bin/python", "bin/python3", "Scripts/python.exe"}) {
                Path candidate = path.resolve(name);
                if (Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
            throw new PythonEnvironmentException("PEFT4J_PYTHON=" + path + " is a directory without bin/python: point it at a venv or a python executable");
        }
        return path;
    }

    /** Checks that {@code found} can be embedded (jep present, same version as the jar) and describes it. */
    static PythonEnvironment of(PythonInstallation found, Path bridge, Requirements requirements, Path python) {
        String wanted = jarVersion(requirements);
        String install = python + " -m pip install --no-build-isolation jep==" + wanted
                + " (with JAVA_HOME set to a JDK " + Runtime.version().feature() + ")";
        if (!found.atLeast(3, 10)) {
            throw new PythonEnvironmentException(python + " is Python " + found.version() + "; peft4j needs 3.10 or later: point PEFT4J_PYTHON at a newer one or unset it");
        }
        if (found.jep() == null) {
            throw new PythonEnvironmentException("jep is not installed in " + found.prefix() + ": run " + install);
        }
        if (found.jep().version() != null && !found.jep().version().equals(wanted)) {
            throw new PythonEnvironmentException("jep in " + found.prefix() + " is " + found.jep().version()
                    + " but the jep jar is " + wanted + ": run " + install);
        }
        if (found.jep().builtFor() != null && !found.jep().builtFor().equals(found.minorVersion())) {
            throw new PythonEnvironmentException("jep in " + found.prefix() + " was built for Python " + found.jep().builtFor()
                    + " but this is Python " + found.version() + ": run " + install.replace("pip install", "pip install --force-reinstall --no-cache-dir"));
        }
        Path jepDir = Path.of(found.jep().dir());
        Path library = nativeLibrary(jepDir);
        if (library == null) {
            throw new PythonEnvironmentException("jep in " + jepDir + " has no native library (libjep.so): it was not built; run " + install);
        }
        return new PythonEnvironment(Path.of(found.prefix()), python, jepDir.getParent(), library, found.version(),
                found.jep().version() == null ? wanted : found.jep().version(), bridge);
    }

    /**
     * The jep version the Java side needs: the jep jar's (from its file name) if known, else the
     * requirements' pin. A jar that disagrees with the pin is reported.
     */
    static String jarVersion(Requirements requirements) {
        String pinned = requirements.jepVersion();
        String jar = jarVersionFrom(jep.Jep.class.getProtectionDomain().getCodeSource() == null ? null
                : jep.Jep.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        if (jar != null && !jar.equals(pinned)) {
            throw new PythonEnvironmentException("the jep jar on the classpath is " + jar + " but python/requirements.txt pins jep==" + pinned
                    + ": use org.ninia:jep:" + pinned);
        }
        return jar == null ? pinned : jar;
    }

    static String jarVersionFrom(String jarPath) {
        if (jarPath == null) {
            return null;
        }
        Matcher m = JAR_VERSION.matcher(jarPath);
        return m.find() ? m.group(1) : null;
    }

    private static Path nativeLibrary(Path jepDir) {
        for (String name : new String[] {"libjep.so", "libjep.jnilib", "libjep.dylib", "jep.dll"}) {
            Path candidate = jepDir.resolve(name);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}

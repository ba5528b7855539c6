package io.peft4j.bridge;

import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Creates the managed venv the way a user would: {@code python3 -m venv}, {@code pip install -r}
 * the pinned requirements, then {@code pip install --no-build-isolation jep==<pin>} built against
 * the running JDK ({@code JAVA_HOME} = this JVM's {@code java.home}). Checks the prerequisites
 * before downloading anything and names the command that fixes a missing one.
 */
final class PipInstaller implements EnvironmentInstaller {

    private static final String[] PYTHON_NAMES = {"python3", "python3.13", "python3.12", "python3.11", "python3.10"};
    private static final String INSTALL_PYTHON = "install Python 3.11 (apt-get install python3 python3-venv python3-dev) or set PEFT4J_BASE_PYTHON to a python 3.10+";

    private final Path basePython;

    /** @param basePython the python that creates the venv, or null to search {@code PATH} */
    PipInstaller(Path basePython) {
        this.basePython = basePython;
    }

    @Override
    public void install(Path target, Requirements requirements, Path bridgePath, Path log, ProgressListener listener) {
        try (BufferedWriter logFile = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            PipProgress progress = new PipProgress();
            Consumer<String> output = line -> {
                try {
                    logFile.write(line);
                    logFile.newLine();
                    logFile.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                listener.output(line);
                progress.accept(line).ifPresent(listener::progress);
            };
            PythonInstallation base = findBasePython(bridgePath);
            Path python = Path.of(base.executable());
            checkPrerequisites(base, python);

            listener.step("creating a venv with " + python + " (Python " + base.version() + ")");
            run(List.of(python.toString(), "-m", "venv", target.toString()), Map.of(), output,
                    "python -m venv failed", "install the venv module (apt-get install python" + base.minorVersion() + "-venv) and run 'peft4j setup' again", log);

            Path venvPython = target.resolve("bin").resolve("python");
            Path requirementsFile = target.resolve("peft4j-requirements.txt");
            Files.writeString(requirementsFile, requirements.withoutJep(), StandardCharsets.UTF_8);
            listener.step("installing the pinned requirements (torch, transformers, peft, ...; several GB on first set-up)");
            run(pip(venvPython, "-r", requirementsFile.toString()), Map.of(), output,
                    "pip could not install the requirements", "fix its cause and run 'peft4j setup' again", log);

            String jep = "jep==" + requirements.jepVersion();
            String javaHome = System.getProperty("java.home");
            listener.step("building " + jep + " against JDK " + Runtime.version().feature() + " (" + javaHome + ")");
            run(pip(venvPython, "--no-build-isolation", jep), Map.of("JAVA_HOME", javaHome), output,
                    "building jep failed", "install a C compiler and the Python headers (apt-get install build-essential python"
                            + base.minorVersion() + "-dev) and run 'peft4j setup' again", log);
        } catch (IOException e) {
            throw new PythonEnvironmentException("cannot write the install log " + log + ": " + e.getMessage(), e);
        }
    }

    /**
     * Installs a layer over {@code base} into {@code target}: a venv made by the base's python whose
     * site-packages holds a {@code .pth} file naming the base's site-packages (so the base's
     * packages, jep included, are shared rather than copied), then {@code pip install -r} the
     * layer's pins; pip sees what the base already has and installs only the rest.
     */
    static void installLayer(Path target, PythonEnvironment base, Requirements layer, Path log, ProgressListener listener) throws IOException {
        try (BufferedWriter logFile = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            Consumer<String> output = line -> {
                try {
                    logFile.write(line);
                    logFile.newLine();
                    logFile.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                listener.output(line);
            };
            listener.step("creating a layer over " + base.home());
            run(List.of(base.pythonExecutable().toString(), "-m", "venv", target.toString()), Map.of(), output,
                    "python -m venv failed", "fix its cause and run again", log);
            Path python = target.resolve("bin").resolve("python");
            List<String> sitePackages = new ArrayList<>();
            run(List.of(python.toString(), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"), Map.of(),
                    sitePackages::add, "the layer's python cannot be run", "delete " + target + " and run again", log);
            Files.writeString(Path.of(sitePackages.getLast().strip()).resolve("peft4j-base.pth"),
                    base.sitePackages() + "\n", StandardCharsets.UTF_8);
            Path requirementsFile = target.resolve("peft4j-requirements.txt");
            Files.writeString(requirementsFile, layer.text(), StandardCharsets.UTF_8);
            listener.step("installing the layer's pinned requirements");
            run(pip(python, "-r", requirementsFile.toString()), Map.of(), output,
                    "pip could not install the layer's requirements", "fix its cause and run again", log);
        }
    }

    private static List<String> pip(Path python, String... arguments) {
        List<String> command = new ArrayList<>(List.of(python.toString(), "-m", "pip", "install",
                "--disable-pip-version-check", "--no-input", "--progress-bar", "off"));
        command.addAll(List.of(arguments));
        return command;
    }

    private static void run(List<String> command, Map<String, String> environment, Consumer<String> output,
                            String what, String fix, Path log) throws IOException {
        ProcessRunner.Result result = ProcessRunner.run(command, environment, output);
        if (result.exitCode() != 0) {
            throw new PythonEnvironmentException(what + ": " + result.errorLine() + " (full log: " + log + "); " + fix);
        }
    }

    /** The python that creates the venv: {@code PEFT4J_BASE_PYTHON}, else the first Python 3.10+ on {@code PATH}. */
    PythonInstallation findBasePython(Path bridgePath) {
        if (basePython != null) {
            PythonInstallation found = PythonProbe.probe(basePython, bridgePath);
            if (found == null) {
                throw new PythonEnvironmentException("PEFT4J_BASE_PYTHON=" + basePython + " cannot be run: " + INSTALL_PYTHON);
            }
            if (!found.atLeast(3, 10)) {
                throw new PythonEnvironmentException("PEFT4J_BASE_PYTHON=" + basePython + " is Python " + found.version() + "; peft4j needs 3.10+: " + INSTALL_PYTHON);
            }
            return found;
        }
        String path = System.getenv().getOrDefault("PATH", "");
        String tooOld = null;
        for (String name : PYTHON_NAMES) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
                if (!Files.isExecutable(candidate)) {
                    continue;
                }
                PythonInstallation found;
                try {
                    found = PythonProbe.probe(candidate, bridgePath);
                } catch (PythonEnvironmentException broken) {
                    continue;
                }
                if (found != null && found.atLeast(3, 10)) {
                    return found;
                }
                if (found != null) {
                    tooOld = candidate + " is Python " + found.version();
                }
            }
        }
        throw new PythonEnvironmentException((tooOld == null ? "no python3 on PATH" : tooOld + ", peft4j needs 3.10+") + ": " + INSTALL_PYTHON);
    }

    /** Fails before any download when the venv module, the headers, libpython, a C compiler or the JDK headers are missing. */
    static void checkPrerequisites(PythonInstallation base, Path python) {
        String minor = base.minorVersion();
        if (!base.venvModule()) {
            throw new PythonEnvironmentException(python + " has no venv/ensurepip module: apt-get install python" + minor + "-venv");
        }
        if (!base.sharedLibpython()) {
            throw new PythonEnvironmentException(python + " was built without a shared libpython, which jep needs to embed Python: "
                    + "apt-get install python3 python3-dev (or rebuild with --enable-shared) and set PEFT4J_BASE_PYTHON");
        }
        if (!base.headers()) {
            throw new PythonEnvironmentException("the Python " + minor + " headers (Python.h) are missing, jep needs them to build: apt-get install python" + minor + "-dev");
        }
        if (compiler() == null) {
            throw new PythonEnvironmentException("no C compiler (cc or gcc) on PATH, jep needs one to build: apt-get install build-essential");
        }
        Path jni = Path.of(System.getProperty("java.home"), "include", "jni.h");
        if (!Files.isRegularFile(jni)) {
            throw new PythonEnvironmentException("jep builds against the JDK's headers but " + jni + " is missing: run peft4j with a full JDK 25 (not a JRE)");
        }
    }

    private static Path compiler() {
        String cc = System.getenv("CC");
        List<String> names = cc == null || cc.isBlank() ? List.of("cc", "gcc", "clang") : List.of(cc.split("\\s+")[0]);
        for (String name : names) {
            Path direct = Path.of(name);
            if (direct.isAbsolute() && Files.isExecutable(direct)) {
                return direct;
            }
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }
}

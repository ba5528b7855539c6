package io.peft4j.cli;

import io.peft4j.bridge.ProgressListener;
import io.peft4j.bridge.PythonEnvironment;
import io.peft4j.bridge.PythonEnvironmentException;
import io.peft4j.bridge.PythonRuntime;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j setup}: creates the Python environment training needs (or checks the one
 * {@code PEFT4J_PYTHON} names), starts it once inside the JVM and prints its path and versions.
 */
@Command(name = "setup", mixinStandardHelpOptions = true,
        description = {"Create or check the Python environment used for training, generation and evaluation.",
                "Uses PEFT4J_PYTHON if set, else a managed venv under PEFT4J_HOME (default ~/.cache/peft4j).",
                "The first set-up downloads torch and friends (several GB) and takes a few minutes; later runs reuse it."})
public final class SetupCommand implements Callable<Integer> {

    /** Created by picocli. */
    public SetupCommand() {}

    /** Exit code when a prerequisite (python3, venv, compiler, pip) is missing. */
    static final int EXIT_PREREQUISITE = 3;

    private static final List<String> LIBRARIES = List.of("torch", "transformers", "peft", "accelerate", "trl", "bitsandbytes", "safetensors", "numpy", "jep");

    @Option(names = "--print-python", description = "Print only the environment's python executable (for scripts).")
    boolean printPython;

    @Option(names = "--layer", paramLabel = "REQUIREMENTS",
            description = "Also install the pins of this requirements file, in a layer of their own over the environment (never into it); print and describe the layer.")
    Path layer;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            ProgressListener progress = ProgressListener.console(System.err, System.console() != null);
            PythonEnvironment env = PythonEnvironment.ensure(progress);
            if (layer != null) {
                env = PythonEnvironment.ensureLayer(env, layer, progress);
            }
            if (printPython) {
                out.println(env.pythonExecutable());
                return 0;
            }
            Map<?, ?> info = PythonRuntime.start(env).callAs(Map.class, "runtime", "describe");
            out.println("Python environment: " + env.home());
            out.println("  python       " + info.get("python") + " (" + env.pythonExecutable() + ")");
            for (String library : LIBRARIES) {
                out.printf("  %-12s %s%n", library, info.get(library) == null ? "not installed" : info.get(library));
            }
            Object devices = info.get("cuda_devices");
            out.println("  cuda         " + (Boolean.TRUE.equals(info.get("cuda_available"))
                    ? "available " + devices : "not available (training runs on the CPU)"));
            return 0;
        } catch (PythonEnvironmentException e) {
            err.println("peft4j setup: " + e.getMessage());
            return EXIT_PREREQUISITE;
        }
    }
}

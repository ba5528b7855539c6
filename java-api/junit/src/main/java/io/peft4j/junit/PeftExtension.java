package io.peft4j.junit;

import io.peft4j.bridge.PythonEnvironment;
import io.peft4j.bridge.PythonEnvironmentException;
import io.peft4j.bridge.PythonRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The JUnit 5 extension behind {@link PeftTest}: decides whether the tests can run and injects
 * {@link PythonRuntime}, {@link TinyModels} and {@link PeftCheck} parameters.
 *
 * <p>When tests run, skip or fail, decided once per test run:
 * <ul>
 *   <li>{@code PEFT4J_PYTHON} set: that environment is used; if it cannot be embedded, the tests
 *       <em>fail</em> with the reason (a named environment that is broken is an error, not a skip).</li>
 *   <li>Otherwise the managed environment is used, and created on first use exactly as
 *       {@code io.peft4j.Peft} would (a few minutes, once per machine). If it cannot be created (no
 *       Python 3.10+, no package index), the tests are <em>skipped</em> with the reason.</li>
 *   <li>{@value #INSTALL_VARIABLE}{@code =0} forbids installing during tests: when no environment is
 *       installed yet, the tests are skipped with a reason that names {@code peft4j setup}.</li>
 * </ul>
 *
 * <p>Registered by {@link PeftTest}; JUnit creates instances itself.
 */
public final class PeftExtension implements ExecutionCondition, ParameterResolver {

    /** Environment variable: {@code 0} or {@code false} forbids installing the managed environment during tests. */
    public static final String INSTALL_VARIABLE = "PEFT4J_TEST_INSTALL";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PeftExtension.class);

    /** Called by JUnit. */
    public PeftExtension() {}

    /** Enables the tests when Python is available, skips them with the reason when it is not. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Availability availability = availability(context);
        if (availability.runtime() != null) {
            return ConditionEvaluationResult.enabled("Python environment " + availability.runtime().environment().home());
        }
        return ConditionEvaluationResult.disabled(availability.reason());
    }

    /** Whether the parameter is a {@link PythonRuntime}, {@link TinyModels} or {@link PeftCheck}. */
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == PythonRuntime.class || type == TinyModels.class || type == PeftCheck.class;
    }

    /** The shared runtime, the run's tiny-model factory, or a checker. */
    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        PythonRuntime runtime = availability(context).runtime();
        if (runtime == null) {
            throw new ParameterResolutionException(availability(context).reason());
        }
        Class<?> type = parameter.getParameter().getType();
        if (type == PythonRuntime.class) {
            return runtime;
        }
        if (type == PeftCheck.class) {
            return new PeftCheck(runtime);
        }
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(SharedModels.class, k -> SharedModels.create(runtime), SharedModels.class).models();
    }

    private static Availability availability(ExtensionContext context) {
        Availability a = context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Availability.class, k -> Availability.check(System.getenv()), Availability.class);
        if (a.error() != null) {
            throw a.error();
        }
        return a;
    }

    /** The outcome of looking for Python: a runtime, or why there is none (a skip) or an error (a failure). */
    private record Availability(PythonRuntime runtime, String reason, RuntimeException error) {

        static Availability check(Map<String, String> env) {
            boolean named = env.get("PEFT4J_PYTHON") != null && !env.get("PEFT4J_PYTHON").isBlank();
            String install = env.getOrDefault(INSTALL_VARIABLE, "");
            boolean mayInstall = !install.equals("0") && !install.equalsIgnoreCase("false");
            try {
                if (named || mayInstall) {
                    return new Availability(PythonRuntime.get(), null, null);
                }
                Optional<PythonEnvironment> installed = PythonEnvironment.findInstalled();
                if (installed.isEmpty()) {
                    return new Availability(null, "no Python environment for peft4j is installed and " + INSTALL_VARIABLE
                            + "=" + install + " forbids installing one: run 'peft4j setup' once, or set PEFT4J_PYTHON to a venv", null);
                }
                return new Availability(PythonRuntime.start(installed.get()), null, null);
            } catch (PythonEnvironmentException e) {
                if (named) {
                    return new Availability(null, null, e);
                }
                return new Availability(null, "no usable Python environment for peft4j: " + e.getMessage(), null);
            }
        }
    }

    /** The run's tiny models in a temporary directory, deleted when the test run ends. */
    private record SharedModels(TinyModels models, Path dir) implements AutoCloseable {

        static SharedModels create(PythonRuntime runtime) {
            try {
                Path dir = Files.createTempDirectory("peft4j-tiny-models");
                return new SharedModels(new TinyModels(dir), dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temporary directory for tiny models", e);
            }
        }

        @Override
        public void close() {
            PeftCheck.delete(dir);
        }
    }
}

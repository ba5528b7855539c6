package io.peft4j.bridge;

import io.peft4j.core.Peft4jException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jep.Interpreter;
import jep.JepConfig;
import jep.JepException;
import jep.MainInterpreter;
import jep.PyConfig;
import jep.SharedInterpreter;
import jep.python.PyCallable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded CPython: one Jep {@link SharedInterpreter} living on one dedicated daemon thread for
 * the JVM's life. Every use is a task handed to that thread, so any number of Java threads may call
 * at once; they are served one after another. Tasks submitted from the interpreter thread itself
 * (a Java callback invoked by Python) run at once instead of waiting, so callbacks cannot deadlock.
 *
 * <p>The interpreter is never closed: closing and re-creating interpreters while torch tensors live
 * crashes the JVM (Jep issues #522, #523), and the daemon thread lets the JVM exit without it.
 * Python's stdout and stderr go line by line to the SLF4J logger {@code peft4j.python} (INFO and
 * WARN) unless {@link #setOutput} names another sink.
 *
 * <p>The Python libraries' own warnings and info logs (transformers, bitsandbytes, accelerate, torch's
 * C++ notices, ...) are switched off unless that logger is enabled at DEBUG when Python starts
 * ({@link #isVerbose()}); with slf4j-simple, {@code -Dorg.slf4j.simpleLogger.log.peft4j.python=debug}.
 * Errors always surface, as {@link PythonException}s.
 *
 * <p>Python does not run on its main thread here: {@code signal.signal()} fails, so keep DataLoader
 * workers at 0 and launch multi-process work (torchrun, accelerate) as a subprocess of
 * {@link PythonEnvironment#pythonExecutable()}; {@code multiprocessing} is pointed at that python.
 * A task that blocks waiting for another task deadlocks the interpreter thread: don't.
 */
public final class PythonRuntime {

    private static final Logger PYTHON_LOG = LoggerFactory.getLogger("peft4j.python");
    private static final Pattern JEP_MESSAGE = Pattern.compile("^<class '([^']+)'>: (.*)$", Pattern.DOTALL);
    private static final Object STARTUP = new Object();
    private static PythonRuntime instance;
    private static RuntimeException startupFailure;

    private final PythonEnvironment environment;
    private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile Consumer<String> output;
    private Interpreter interpreter;
    private PyCallable callWrapper;
    private PyCallable takeError;

    private PythonRuntime(PythonEnvironment environment) {
        this.environment = environment;
        this.thread = new Thread(this::serve, "peft4j-python");
        thread.setDaemon(true);
    }

    /**
     * The process-wide runtime, started on first use with the environment from
     * {@link PythonEnvironment#resolve()}; blocks while that environment is created.
     *
     * @throws PythonEnvironmentException if the environment is missing or cannot be embedded
     */
    public static PythonRuntime get() {
        synchronized (STARTUP) {
            if (instance == null && startupFailure == null) {
                return start(PythonEnvironment.resolve());
            }
            return running();
        }
    }

    /**
     * Starts the process-wide runtime with {@code environment}, or returns it if it already runs
     * that environment. Python can be embedded once per JVM: a failed start is final.
     *
     * @throws PythonEnvironmentException if another environment already runs, or Python cannot start
     */
    public static PythonRuntime start(PythonEnvironment environment) {
        synchronized (STARTUP) {
            if (instance != null || startupFailure != null) {
                PythonRuntime running = running();
                if (!running.environment.home().equals(environment.home())) {
                    throw new PythonEnvironmentException("Python already runs from " + running.environment.home()
                            + " in this JVM; it cannot switch to " + environment.home());
                }
                return running;
            }
            PythonRuntime runtime = new PythonRuntime(environment);
            runtime.thread.start();
            try {
                await(runtime.submitRaw(interp -> {
                    runtime.initialize();
                    return null;
                }));
            } catch (RuntimeException | LinkageError e) {
                // e.g. UnsatisfiedLinkError: libjep.so or libpython cannot be loaded
                startupFailure = new PythonEnvironmentException("cannot start Python from " + environment.home()
                        + ": " + e.getMessage(), e);
                throw startupFailure;
            }
            instance = runtime;
            return runtime;
        }
    }

    private static PythonRuntime running() {
        if (startupFailure != null) {
            throw startupFailure;
        }
        return instance;
    }

    /**
     * Whether the Python libraries keep their own warnings and info logs: true when the logger
     * {@code peft4j.python} is enabled at DEBUG (the CLI's {@code --verbose}).
     */
    public static boolean isVerbose() {
        return PYTHON_LOG.isDebugEnabled();
    }

    /** The environment this runtime embeds. */
    public PythonEnvironment environment() {
        return environment;
    }

    /**
     * Sends Python's stdout and stderr lines to {@code sink} instead of the {@code peft4j.python}
     * logger; null restores the logger. The sink is called on the interpreter thread.
     */
    public void setOutput(Consumer<String> sink) {
        this.output = sink;
    }

    /**
     * Runs {@code task} on the interpreter thread with the interpreter. A Python error completes
     * the future with a {@link PythonException}.
     */
    public <T> CompletableFuture<T> submit(Function<Interpreter, T> task) {
        Objects.requireNonNull(task, "task");
        return submitRaw(task);
    }

    /**
     * Calls {@code module.function(*args)} and returns its result as Jep converts it (str to
     * String, int to Long, float to Double, list to List, dict to Map, numpy array to NDArray).
     *
     * @param module a module of the {@code peft4j_bridge} package ({@code "runtime"}) or any
     *     importable module by its full name
     * @throws PythonException if the function raises
     */
    public Object call(String module, String function, Object... args) {
        return invoke(Object.class, module, function, List.of(args), Map.of());
    }

    /** Like {@link #call} with the result converted to {@code type}. */
    public <T> T callAs(Class<T> type, String module, String function, Object... args) {
        return invoke(type, module, function, List.of(args), Map.of());
    }

    /**
     * Calls {@code module.function(*args, **kwargs)} and converts the result to {@code type}.
     *
     * @throws PythonException if the function raises, with its type, message and traceback
     */
    public <T> T invoke(Class<T> type, String module, String function, List<?> args, Map<String, ?> kwargs) {
        List<Object> all = new ArrayList<>(args.size() + 2);
        all.add(module);
        all.add(function);
        all.addAll(args);
        Object[] positional = all.toArray();
        @SuppressWarnings("unchecked")
        Map<String, Object> keywords = (Map<String, Object>) kwargs;
        return await(submitRaw(interp -> callWrapper.callAs(type, positional, keywords)));
    }

    /**
     * Makes the Python package {@code name}, shipped as {@code python/<name>/} resources beside
     * {@code owner} (how peft4j-junit ships its checks), importable; then call its modules by their
     * full name, e.g. {@code call(name + ".checks", ...)}. Calling it again is harmless.
     *
     * @return the directory that holds the package (for a subprocess's {@code PYTHONPATH})
     * @throws PythonEnvironmentException if the package is not on {@code owner}'s classpath
     */
    public Path addPackage(Class<?> owner, String name) {
        Path directory = BridgePackage.location(EnvironmentSettings.fromEnvironment().home(), owner, name);
        call("runtime", "add_path", directory.toString());
        return directory;
    }

    /** Runs Python statements in the interpreter's global namespace. */
    public void exec(String code) {
        await(submitRaw(interp -> {
            interp.exec(code);
            return null;
        }));
    }

    /** Evaluates a Python expression in the interpreter's global namespace. */
    public Object getValue(String expression) {
        return await(submitRaw(interp -> interp.getValue(expression)));
    }

    /** Evaluates a Python expression and converts the result to {@code type}. */
    public <T> T getValue(String expression, Class<T> type) {
        return await(submitRaw(interp -> interp.getValue(expression, type)));
    }

    /** Whether the calling thread is the interpreter thread. */
    public boolean isInterpreterThread() {
        return Thread.currentThread() == thread;
    }

    private <T> CompletableFuture<T> submitRaw(Function<Interpreter, T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable run = () -> {
            try {
                result.complete(task.apply(interpreter));
            } catch (JepException e) {
                result.completeExceptionally(translate(e));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        };
        if (isInterpreterThread()) {
            run.run();
        } else {
            tasks.add(run);
        }
        return result;
    }

    private void serve() {
        while (true) {
            try {
                tasks.take().run();
            } catch (InterruptedException ignored) {
                // the interpreter thread lives as long as the JVM
            }
        }
    }

    private void initialize() {
        MainInterpreter.setJepLibraryPath(environment.jepLibrary().toString());
        MainInterpreter.setInitParams(new PyConfig()
                .setProgramName(environment.pythonExecutable().toString())
                .setArgv("peft4j")
                .setParseArgv(false)
                .setUserSiteDirectory(false));
        SharedInterpreter.setConfig(new JepConfig()
                .addIncludePaths(environment.bridgePath().toString(), environment.sitePackages().toString())
                .redirectStdout(new PythonOutput(line -> emit(line, false)))
                .redirectStdErr(new PythonOutput(line -> emit(line, true))));
        interpreter = new SharedInterpreter();
        interpreter.exec("import peft4j_bridge.runtime as _peft4j_runtime");
        callWrapper = interpreter.getValue("_peft4j_runtime.call", PyCallable.class);
        takeError = interpreter.getValue("_peft4j_runtime.take_error", PyCallable.class);
        interpreter.getValue("_peft4j_runtime.initialize", PyCallable.class)
                .call(environment.pythonExecutable().toString(), isVerbose());
    }

    private void emit(String line, boolean stderr) {
        Consumer<String> sink = output;
        if (sink != null) {
            sink.accept(line);
        } else if (stderr) {
            PYTHON_LOG.warn(line);
        } else {
            PYTHON_LOG.info(line);
        }
    }

    /** Turns a Jep exception into a PythonException, with the traceback the call wrapper recorded if any. */
    private RuntimeException translate(JepException e) {
        if (takeError != null) {
            Object recorded = takeError.call();
            if (recorded instanceof List<?> parts && parts.size() == 3) {
                return new PythonException(String.valueOf(parts.get(0)), String.valueOf(parts.get(1)), String.valueOf(parts.get(2)), e);
            }
        }
        String message = e.getMessage() == null ? "" : e.getMessage();
        Matcher m = JEP_MESSAGE.matcher(message);
        String type = m.matches() ? m.group(1) : "JepException";
        String text = m.matches() ? m.group(2) : message;
        return new PythonException(type, text, tracebackOf(e, type, text), e);
    }

    /**
     * A Python-style traceback from the Python frames Jep puts on top of the Java stack trace
     * (innermost first, class = the module's path without {@code .py}).
     */
    private static String tracebackOf(JepException e, String type, String text) {
        List<String> lines = new ArrayList<>();
        for (StackTraceElement frame : e.getStackTrace()) {
            if (frame.getClassName().startsWith("jep.")) {
                break;
            }
            String file = frame.getFileName() != null && frame.getFileName().endsWith(".py")
                    ? frame.getClassName() + ".py" : frame.getFileName();
            lines.addFirst("  File \"" + file + "\", line " + frame.getLineNumber() + ", in " + frame.getMethodName() + "\n");
        }
        return "Traceback (most recent call last):\n" + String.join("", lines) + type + ": " + text + "\n";
    }

    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PythonException python) {
                // thrown again here so the Java stack trace shows the caller, not the interpreter thread
                throw new PythonException(python.pythonType(), python.pythonMessage(), python.traceback(), python.getCause());
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new Peft4jException("Python task failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Peft4jException("interrupted while waiting for Python (the call itself keeps running)", e);
        }
    }
}

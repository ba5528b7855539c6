package io.peft4j.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import jep.DirectNDArray;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The real embedded Python: calls, errors with tracebacks, concurrent callers. */
class PythonRuntimeTest {

    static PythonRuntime python;

    @BeforeAll
    static void start() {
        python = PythonRuntime.get();
        python.call("runtime", "add_path", Path.of("src/test/python").toAbsolutePath().toString());
    }

    @Test
    void callReturnsTheValue() {
        assertEquals(5L, python.call("bridge_fixtures", "add", 2, 3));
        assertEquals("ab", python.call("bridge_fixtures", "add", "a", "b"));
        assertEquals(7.5, python.callAs(Double.class, "bridge_fixtures", "add", 2.5, 5));
    }

    @Test
    void pythonErrorBecomesPythonExceptionWithTraceback() {
        PythonException e = assertThrows(PythonException.class, () -> python.call("bridge_fixtures", "fail", -4));
        assertEquals("ValueError", e.pythonType());
        assertEquals("value must be positive, got -4", e.pythonMessage());
        assertEquals("ValueError: value must be positive, got -4", e.getMessage());
        assertTrue(e.traceback().contains("bridge_fixtures.py\", line 16, in _check_positive"), e.traceback());
        assertTrue(e.traceback().contains("bridge_fixtures.py\", line 21, in fail"), e.traceback());
        assertTrue(e.traceback().startsWith("Traceback (most recent call last):"), e.traceback());
        assertTrue(!e.traceback().contains("runtime.py"), "the call wrapper's frame is left out: " + e.traceback());
    }

    @Test
    void errorOutsideTheWrapperStillHasTypeMessageAndTraceback() {
        PythonException e = assertThrows(PythonException.class, () -> python.exec("import bridge_fixtures\nbridge_fixtures.fail(-1)"));
        assertEquals("ValueError", e.pythonType());
        assertEquals("value must be positive, got -1", e.pythonMessage());
        String fixtures = Path.of("src/test/python/bridge_fixtures.py").toAbsolutePath().toString();
        assertEquals("Traceback (most recent call last):\n"
                + "  File \"<string>\", line 2, in <module>\n"
                + "  File \"" + fixtures + "\", line 21, in fail\n"
                + "  File \"" + fixtures + "\", line 16, in _check_positive\n"
                + "ValueError: value must be positive, got -1\n", e.traceback());
    }

    @Test
    void float16ResultIsRefusedWithTheFix() {
        PythonException e = assertThrows(PythonException.class, () -> python.call("bridge_fixtures", "float16_array"));
        assertEquals("TypeError", e.pythonType());
        assertEquals("float16 arrays cannot cross to Java (bridge_fixtures.float16_array returned one): "
                + "return array.astype(numpy.float32) or array.view(numpy.uint16) instead", e.pythonMessage());
    }

    @Test
    @Timeout(60)
    void fiftyThreadsCallingAtOnceAllGetTheirAnswer() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(50);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Object>> answers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                long n = i;
                answers.add(pool.submit(() -> {
                    go.await();
                    return python.call("bridge_fixtures", "square", n);
                }));
            }
            go.countDown();
            for (int i = 0; i < 50; i++) {
                assertEquals((long) i * i, answers.get(i).get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void keywordArguments() {
        assertEquals(List.of(1L, 5L, 7L),
                python.invoke(List.class, "bridge_fixtures", "keywords", List.of(1), Map.of("b", 5, "c", 7)));
    }

    @Test
    void javaListenerIsCalledFromPythonAndMayCallPythonBack() {
        RecordingListener listener = new RecordingListener(python);
        assertEquals(3L, python.call("bridge_fixtures", "notify", listener, 3));
        assertEquals(List.of("0:0.0:0:true", "1:0.5:1:true", "2:1.0:4:true"), listener.calls);
    }

    @Test
    void directNdArraySharesMemoryBothWays() {
        FloatBuffer buffer = ByteBuffer.allocateDirect(4 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        buffer.put(new float[] {1, 2, 3, 4.5f});
        double sum = python.callAs(Double.class, "bridge_fixtures", "double_in_place", new DirectNDArray<>(buffer, 4));
        assertEquals(21.0, sum);
        assertEquals(List.of(2f, 4f, 6f, 9f), List.of(buffer.get(0), buffer.get(1), buffer.get(2), buffer.get(3)));
    }

    @Test
    void stdoutAndStderrGoToTheSink() {
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        python.setOutput(lines::add);
        try {
            python.call("bridge_fixtures", "shout", "first line", "second line");
            python.exec("import sys; sys.stderr.write('an error line\\n')");
        } finally {
            python.setOutput(null);
        }
        assertEquals(List.of("first line", "second line", "an error line"), lines);
    }

    /**
     * The libraries' warnings stay out of the user's output unless verbose: the warning bitsandbytes
     * logs at import time on CPUs with AVX512-BF16 (this one has none, so the test logs it through the
     * same logger) and accelerate's UserWarning; errors always show.
     */
    @Test
    void libraryWarningsAreQuietUnlessVerboseAndErrorsShow() {
        String emit = "import logging, warnings\n"
                + "logging.getLogger('bitsandbytes.backends.cpu.ops').warning(\"Failed to load CPU gemm_4bit_forward from"
                + " kernels-community: No module named 'kernels'\")\n"
                + "warnings.warn_explicit('OMP_NUM_THREADS/MKL_NUM_THREADS unset', UserWarning, 'state.py', 279,"
                + " module='accelerate.state', registry={})\n"
                + "logging.getLogger('bitsandbytes').error('a real error')\n";
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        python.setOutput(lines::add);
        try {
            assertFalse(PythonRuntime.isVerbose(), "the test logger peft4j.python is at INFO");
            python.exec(emit);
            assertEquals(List.of("a real error"), lines);
            lines.clear();
            python.call("quiet", "configure", true);
            python.exec(emit);
            assertTrue(lines.getFirst().startsWith("Failed to load CPU gemm_4bit_forward"), lines.toString());
            assertTrue(lines.stream().anyMatch(l -> l.contains("UserWarning: OMP_NUM_THREADS")), lines.toString());
        } finally {
            python.call("quiet", "configure", false);
            python.setOutput(null);
        }
    }

    @Test
    void interpreterIsSetUpForTheEnvironment() {
        assertEquals(List.of("peft4j"), python.getValue("__import__('sys').argv", List.class));
        assertEquals(python.environment().pythonExecutable().toString(), python.getValue("__import__('sys').executable"));
        assertEquals(python.environment().home().toString(), python.getValue("__import__('sys').prefix"));
        assertEquals(python.environment().pythonExecutable().toString(),
                python.getValue("__import__('os').fsdecode(__import__('multiprocessing.spawn').spawn.get_executable())"));
        assertEquals("false", python.getValue("__import__('os').environ['TOKENIZERS_PARALLELISM']"));
    }

    @Test
    void torchAndPeftImportAndDescribeReportsTheirVersions() {
        Map<?, ?> info = python.callAs(Map.class, "runtime", "describe");
        assertEquals(python.call("importlib.metadata", "version", "torch"), info.get("torch"));
        assertEquals(python.call("importlib.metadata", "version", "peft"), info.get("peft"));
        assertEquals(python.environment().jepVersion(), info.get("jep"));
        assertEquals(info.get("peft"), python.getValue("__import__('peft').__version__"));
        assertTrue(info.get("cuda_available") instanceof Boolean, info.toString());
        assertEquals(python.environment().pythonVersion(), info.get("python"));
    }

    @Test
    @Timeout(120)
    void theJvmExitsCleanlyWithoutClosingPython() throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), ExitMain.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the JVM did not exit: " + out);
        assertEquals(0, child.exitValue(), out);
        assertTrue(out.contains("answer 42"), out);
    }

    /** Starts Python, calls it, returns from main without System.exit or close. */
    public static final class ExitMain {
        /** Runs one call. */
        public static void main(String[] args) {
            System.out.println("answer " + PythonRuntime.get().call("operator", "mul", 6, 7));
        }
    }
}

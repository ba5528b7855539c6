package io.peft4j.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
    void errorOutsideTheWrapperStillNamesTypeAndMessage() {
        PythonException e = assertThrows(PythonException.class, () -> python.exec("undefined_name + 1"));
        assertEquals("NameError", e.pythonType());
        assertTrue(e.pythonMessage().contains("undefined_name"), e.pythonMessage());
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
}

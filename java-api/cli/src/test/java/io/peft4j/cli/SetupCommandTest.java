package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.bridge.PythonEnvironment;
import io.peft4j.bridge.PythonRuntime;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code peft4j setup} against the real environment (PEFT4J_PYTHON, else the managed one). */
class SetupCommandTest {

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new SetupCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    @Test
    void printPythonPrintsOnlyTheExecutable() {
        String[] result = run("--print-python");
        assertEquals("0", result[0], result[2]);
        assertEquals(PythonEnvironment.resolve().pythonExecutable() + System.lineSeparator(), result[1]);
    }

    @Test
    void setupPrintsTheEnvironmentAndTheVersionsPythonReports() {
        String[] result = run();
        assertEquals("0", result[0], result[2]);
        PythonRuntime python = PythonRuntime.get();
        String torch = (String) python.call("importlib.metadata", "version", "torch");
        String peft = (String) python.call("importlib.metadata", "version", "peft");
        assertTrue(result[1].startsWith("Python environment: " + python.environment().home() + "\n"), result[1]);
        assertTrue(result[1].contains("\n  torch        " + torch + "\n"), result[1]);
        assertTrue(result[1].contains("\n  peft         " + peft + "\n"), result[1]);
        assertTrue(result[1].contains("\n  jep          4.3.1\n"), result[1]);
    }

    @Test
    void mainKnowsTheSetupCommand() {
        assertEquals(0, Main.run("setup", "--help"));
    }
}

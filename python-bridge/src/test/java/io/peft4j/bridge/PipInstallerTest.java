package io.peft4j.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The real installer up to a pip failure: a real venv, a real pip run that cannot succeed (offline, absent package). */
class PipInstallerTest {

    @TempDir
    Path temp;

    @Test
    @Timeout(120)
    void pipFailureNamesTheLastErrorLineAndTheLog() throws Exception {
        RecordingProgress listener = new RecordingProgress();
        // --no-index keeps pip offline: nothing is looked up on a package index
        Requirements unsatisfiable = new Requirements("--no-index\npeft4j-test-absent==1.0\njep==4.3.1\n");
        Path venv = temp.resolve("venv");
        Path log = temp.resolve("venv.log");

        PythonEnvironmentException e = assertThrows(PythonEnvironmentException.class,
                () -> new PipInstaller(null).install(venv, unsatisfiable, Path.of("target", "classes", "python"), log, listener));

        assertTrue(e.getMessage().startsWith("pip could not install the requirements: ERROR: "), e.getMessage());
        assertTrue(e.getMessage().contains("peft4j-test-absent"), e.getMessage());
        assertTrue(e.getMessage().endsWith("(full log: " + log + "); fix its cause and run 'peft4j setup' again"), e.getMessage());
        assertEquals(2, listener.steps.size(), listener.steps.toString());
        assertTrue(listener.steps.get(0).startsWith("creating a venv with "), listener.steps.toString());
        assertTrue(Files.isExecutable(venv.resolve("bin").resolve("python")), "the venv was created");
        assertEquals(listener.output, Files.readAllLines(log), "everything pip printed is in the log");
        assertEquals("--no-index\npeft4j-test-absent==1.0\n", Files.readString(venv.resolve("peft4j-requirements.txt")));
        System.out.println("pip failure reported as: " + e.getMessage());
        BridgePackage.deleteTree(venv); // venv/bin links point outside the temp dir

    }
}

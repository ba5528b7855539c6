package io.peft4j.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Locking, keying and recovery of the managed environment, with a fake installer in place of pip. */
class ManagedEnvironmentTest {

    static final Requirements REQUIREMENTS = new Requirements("torch==2.13.0\njep==4.3.1\n");
    static final Path BRIDGE = Path.of("target", "classes", "python");

    @TempDir
    Path home;

    /** Records each install in {@code home/installs.txt} and takes a while, like pip does. */
    static final class SlowInstaller implements EnvironmentInstaller {
        private final Path home;
        private final long millis;

        SlowInstaller(Path home, long millis) {
            this.home = home;
            this.millis = millis;
        }

        @Override
        public void install(Path target, Requirements requirements, Path bridgePath, Path log, ProgressListener listener) {
            try {
                Files.writeString(home.resolve("installs.txt"), ProcessHandle.current().pid() + " " + Thread.currentThread().getName() + "\n",
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                assertFalse(Files.exists(target), "the installer starts from nothing");
                Files.createDirectories(target.resolve("bin"));
                Thread.sleep(millis);
                Files.writeString(target.resolve("bin").resolve("python"), "installed\n");
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static final ProgressListener QUIET = new RecordingProgress();

    @Test
    void environmentIsKeyedByTheRequirementsHash() {
        Path venv = ManagedEnvironment.ensure(home, REQUIREMENTS, BRIDGE, new SlowInstaller(home, 0), QUIET);
        assertEquals(home.resolve("envs").resolve(REQUIREMENTS.key()), venv);
        assertTrue(ManagedEnvironment.isComplete(venv));
        Path other = ManagedEnvironment.ensure(home, new Requirements("torch==2.14.0\njep==4.3.1\n"), BRIDGE, new SlowInstaller(home, 0), QUIET);
        assertFalse(other.equals(venv), "a changed pin gives a fresh environment beside the old one");
        assertTrue(Files.isDirectory(venv));
    }

    @Test
    void aCompleteEnvironmentIsReusedWithoutInstalling() throws IOException {
        ManagedEnvironment.ensure(home, REQUIREMENTS, BRIDGE, new SlowInstaller(home, 0), QUIET);
        ManagedEnvironment.ensure(home, REQUIREMENTS, BRIDGE, (t, r, b, l, p) -> {
            throw new AssertionError("must not install again");
        }, QUIET);
        assertEquals(1, Files.readAllLines(home.resolve("installs.txt")).size());
    }

    @Test
    void aFailedInstallLeavesNoMarkerAndTheNextCallStartsAfresh() throws IOException {
        assertThrows(PythonEnvironmentException.class, () -> ManagedEnvironment.ensure(home, REQUIREMENTS, BRIDGE, (target, r, b, l, p) -> {
            try {
                Files.createDirectories(target.resolve("lib"));
                Files.writeString(target.resolve("lib").resolve("half-written"), "x");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            throw new PythonEnvironmentException("pip could not install the requirements: ERROR: no space left on device");
        }, QUIET));
        Path venv = home.resolve("envs").resolve(REQUIREMENTS.key());
        assertFalse(ManagedEnvironment.isComplete(venv));
        ManagedEnvironment.ensure(home, REQUIREMENTS, BRIDGE, new SlowInstaller(home, 0), QUIET);
        assertTrue(ManagedEnvironment.isComplete(venv));
        assertFalse(Files.exists(venv.resolve("lib").resolve("half-written")), "the partial install was removed first");
    }

    @Test
    @Timeout(30)
    void twoThreadsRacingInstallOnceAndBothGetTheEnvironment() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch go = new CountDownLatch(1);
        RecordingProgress listener = new RecordingProgress();
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return ManagedEnvironment.ensure(home, REQUIREMENTS, BRIDGE, new SlowInstaller(home, 800), listener);
                }));
            }
            go.countDown();
            assertEquals(results.get(0).get(20, TimeUnit.SECONDS), results.get(1).get(20, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, Files.readAllLines(home.resolve("installs.txt")).size());
        assertTrue(listener.steps.stream().anyMatch(s -> s.startsWith("waiting for another thread")), listener.steps.toString());
    }

    @Test
    @Timeout(60)
    void twoProcessesRacingInstallOnce() throws Exception {
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            processes.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), RaceMain.class.getName(), home.toString())
                    .redirectErrorStream(true).start());
        }
        List<String> outputs = new ArrayList<>();
        for (Process p : processes) {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out);
            outputs.add(out.lines().reduce((a, b) -> b).orElse(""));
        }
        List<String> installs = Files.readAllLines(home.resolve("installs.txt"));
        assertEquals(1, installs.size(), installs.toString());
        assertEquals(outputs.get(0), outputs.get(1));
        assertEquals(home.resolve("envs").resolve(REQUIREMENTS.key()).toString(), outputs.get(0));
        assertTrue(Files.exists(home.resolve("waiting")), "the second process waited for the first one's lock");
    }

    /**
     * One process of the race: the one that gets the lock installs and holds it until the other has
     * reported that it waits (file {@code home/waiting}); then each prints the environment's path.
     */
    public static final class RaceMain {
        /** {@code args[0]}: the shared PEFT4J_HOME. */
        public static void main(String[] args) {
            Path home = Path.of(args[0]);
            Path waiting = home.resolve("waiting");
            EnvironmentInstaller installer = (target, requirements, bridge, log, listener) -> {
                new SlowInstaller(home, 0).install(target, requirements, bridge, log, listener);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                try {
                    while (!Files.exists(waiting) && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            };
            Path venv = ManagedEnvironment.ensure(home, REQUIREMENTS, BRIDGE, installer, new ProgressListener() {
                @Override
                public void step(String description) {
                    if (description.startsWith("waiting for another peft4j process")) {
                        try {
                            Files.writeString(waiting, description);
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }

                @Override
                public void output(String line) {}
            });
            System.out.println(venv);
        }
    }
}

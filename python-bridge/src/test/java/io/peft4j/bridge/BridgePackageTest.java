package io.peft4j.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Python package shipped in a jar is extracted once, also when several threads ask for it at once:
 * two distributed launches of one JVM (as the two-nodes test starts) resolve the environment
 * together, and before extraction was serialized one thread closed the jar's file system while the
 * other was still reading it ({@code ClosedFileSystemException}), so one node never started and the
 * other waited at the rendezvous.
 */
class BridgePackageTest {

    @Test
    void concurrentExtractionsFromOneJarAllSucceed(@TempDir Path dir) throws Exception {
        Path jar = dir.resolve("bridge.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (int i = 0; i < 40; i++) {
                out.putNextEntry(new JarEntry("python/pkg/module" + i + ".py"));
                out.write(("VALUE = " + i + "\n").getBytes(StandardCharsets.UTF_8));
            }
            out.putNextEntry(new JarEntry("python/pkg/__init__.py"));
            out.write("\n".getBytes(StandardCharsets.UTF_8));
        }
        URI marker = URI.create("jar:" + jar.toUri() + "!/python/pkg/__init__.py");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 25; round++) {
                Path cache = dir.resolve("cache" + round);
                List<Future<Path>> extracted = new ArrayList<>();
                for (int thread = 0; thread < 8; thread++) {
                    extracted.add(pool.submit(() -> BridgePackage.extract(marker, cache)));
                }
                Path first = extracted.getFirst().get();
                for (Future<Path> each : extracted) {
                    assertEquals(first, each.get(), "every thread gets the one extracted copy");
                }
                assertEquals("VALUE = 39\n", Files.readString(first.resolve("pkg").resolve("module39.py")));
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(Files.isRegularFile(jar));
    }
}

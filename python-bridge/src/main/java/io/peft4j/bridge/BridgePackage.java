package io.peft4j.bridge;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The {@code python/} resources of the peft4j-python-bridge jar (the {@code peft4j_bridge} package
 * and the pinned {@code requirements.txt}) and of other peft4j jars that ship Python packages.
 * Running from a build directory they are used where they are; from a jar they are extracted once
 * to {@code $PEFT4J_HOME/bridge/<content hash>/}.
 */
final class BridgePackage {

    private static final String ROOT = "python";
    private static final Object EXTRACTING = new Object();

    private BridgePackage() {}

    /** The pinned requirements shipped with this jar. */
    static Requirements requirements() {
        try (InputStream in = BridgePackage.class.getResourceAsStream("/" + ROOT + "/requirements.txt")) {
            if (in == null) {
                throw new PythonEnvironmentException("python/requirements.txt is missing from the classpath: the peft4j-python-bridge jar is broken, rebuild it");
            }
            return new Requirements(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The directory that holds {@code peft4j_bridge} (to put on {@code sys.path}).
     *
     * @param home peft4j's cache directory, where a jar's package is extracted
     */
    static Path location(Path home) {
        return location(home, BridgePackage.class, "peft4j_bridge");
    }

    /**
     * The directory that holds the Python package {@code name}, shipped as {@code python/<name>/}
     * resources beside {@code owner} (in its jar, or its build directory), to put on {@code sys.path}.
     *
     * @param home peft4j's cache directory, where a jar's package is extracted
     */
    static Path location(Path home, Class<?> owner, String name) {
        URL marker = owner.getResource("/" + ROOT + "/" + name + "/__init__.py");
        if (marker == null) {
            throw new PythonEnvironmentException("python/" + name + " is missing from the classpath of " + owner.getName() + ": its jar is broken, rebuild it");
        }
        try {
            URI uri = marker.toURI();
            if ("file".equals(uri.getScheme())) {
                return Path.of(uri).getParent().getParent();
            }
            return extract(uri, home.resolve("bridge"));
        } catch (URISyntaxException e) {
            throw new PythonEnvironmentException("cannot locate python/" + name + " at " + marker + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new PythonEnvironmentException("cannot extract the " + name + " package to " + home.resolve("bridge") + ": " + e.getMessage(), e);
        }
    }

    /**
     * Extracts the package to {@code cache/<content hash>/} unless it is there. One thread at a time:
     * the jar's zip file system is shared by the JVM, and a thread closing it while another walks it
     * failed the other with {@code ClosedFileSystemException} (two distributed launches of one JVM
     * resolve the environment at once). Another process extracting the same content first is fine.
     */
    static Path extract(URI markerUri, Path cache) throws IOException {
        synchronized (EXTRACTING) {
            return extractAlone(markerUri, cache);
        }
    }

    private static Path extractAlone(URI markerUri, Path cache) throws IOException {
        FileSystem jar;
        boolean opened = false;
        try {
            jar = FileSystems.getFileSystem(markerUri);
        } catch (FileSystemNotFoundException e) {
            jar = FileSystems.newFileSystem(markerUri, Map.of());
            opened = true;
        }
        try {
            Path root = jar.provider().getPath(markerUri).getParent().getParent();
            List<Path> files;
            try (Stream<Path> walk = Files.walk(root)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            Path target = cache.resolve(contentHash(root, files));
            if (Files.isDirectory(target)) {
                return target;
            }
            Files.createDirectories(cache);
            Path temp = Files.createTempDirectory(cache, "extract-");
            for (Path file : files) {
                Path out = temp.resolve(root.relativize(file).toString());
                Files.createDirectories(out.getParent());
                Files.copy(file, out);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                deleteTree(temp);
                if (!Files.isDirectory(target)) {
                    throw raced;
                }
            }
            return target;
        } finally {
            if (opened) {
                jar.close();
            }
        }
    }

    private static String contentHash(Path root, List<Path> files) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Path file : files) {
                digest.update(root.relativize(file).toString().getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(Files.readAllBytes(file));
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

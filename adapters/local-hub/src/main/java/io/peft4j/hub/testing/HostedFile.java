package io.peft4j.hub.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;

/**
 * One file in a hosted commit: its content on disk, size, sha256, and the git blob id the Hub
 * reports (of the content for regular files, of the LFS pointer for LFS files).
 *
 * @param path    path in the repository
 * @param content where the bytes are
 * @param size    size in bytes
 * @param sha256  sha256 of the content, hex
 * @param lfs     whether the file is stored with LFS (served through the CDN host)
 * @param gitOid  git blob id, hex
 */
record HostedFile(String path, Path content, long size, String sha256, boolean lfs, String gitOid) {

    /** Extensions the Hub's default {@code .gitattributes} sends to LFS. */
    private static final Set<String> LFS_EXTENSIONS = Set.of("safetensors", "bin", "pt", "pth", "ckpt", "h5",
            "msgpack", "onnx", "gguf", "npy", "npz", "pkl", "zip", "gz", "tar", "model", "parquet", "arrow");
    /** Files at least this large go to LFS, as on the Hub. */
    static final long LFS_THRESHOLD = 10L * 1024 * 1024;

    /** Describes {@code content} as {@code path}, hashing it once. */
    static HostedFile of(String path, Path content) {
        try {
            long size = Files.size(content);
            byte[] sample;
            MessageDigest sha = digest("SHA-256");
            try (InputStream in = new DigestInputStream(Files.newInputStream(content), sha)) {
                sample = in.readNBytes(512);
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            String sha256 = HexFormat.of().formatHex(sha.digest());
            boolean lfs = goesToLfs(path, size, sample);
            String oid = lfs ? gitOid(pointer(sha256, size).getBytes(StandardCharsets.UTF_8)) : gitOid(Files.readAllBytes(content));
            return new HostedFile(path, content, size, sha256, lfs, oid);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An LFS object of known sha256 and size, stored as {@code path}. */
    static HostedFile lfsObject(String path, Path content, long size, String sha256) {
        return new HostedFile(path, content, size, sha256, true,
                gitOid(pointer(sha256, size).getBytes(StandardCharsets.UTF_8)));
    }

    /** The Hub's rule, simplified: LFS for known binary extensions, files of 10 MiB or more, or a sample with a NUL byte. */
    static boolean goesToLfs(String path, long size, byte[] sample) {
        String ext = path.contains(".") ? path.substring(path.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
        if (size == 0) {
            return false;
        }
        if (LFS_EXTENSIONS.contains(ext) || size >= LFS_THRESHOLD) {
            return true;
        }
        for (byte b : sample) {
            if (b == 0) {
                return true;
            }
        }
        return false;
    }

    /** The text of an LFS pointer file. */
    static String pointer(String sha256, long size) {
        return "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256 + "\nsize " + size + "\n";
    }

    /** git's blob id: sha1 of {@code "blob <size>\0"} followed by the content. */
    static String gitOid(byte[] content) {
        MessageDigest sha1 = digest("SHA-1");
        sha1.update(("blob " + content.length + "\0").getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha1.digest(content));
    }

    static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

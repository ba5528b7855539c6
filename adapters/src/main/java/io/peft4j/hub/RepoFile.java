package io.peft4j.hub;

/**
 * One file of a repository at a revision.
 *
 * @param path      path inside the repository, {@code /}-separated
 * @param size      size of the content in bytes
 * @param oid       git blob id
 * @param lfsSha256 sha256 of the content when the file is stored with LFS, else null
 */
public record RepoFile(String path, long size, String oid, String lfsSha256) {

    /** Whether the file is stored with LFS (and so has a sha256 the download is checked against). */
    public boolean isLfs() {
        return lfsSha256 != null;
    }
}

package io.peft4j.hub;

/** Progress of file transfers, for progress bars. Called on the downloading thread. */
public interface DownloadListener {

    /** A listener that ignores everything. */
    DownloadListener NONE = new DownloadListener() {};

    /** A transfer of {@code path} starts; {@code totalBytes} is -1 when unknown. */
    default void started(String path, long totalBytes) {}

    /** {@code bytes} more bytes of {@code path} arrived. */
    default void advanced(String path, long bytes) {}

    /** The transfer of {@code path} finished (or was not needed because the file was cached). */
    default void finished(String path) {}
}

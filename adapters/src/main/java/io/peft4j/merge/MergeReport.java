package io.peft4j.merge;

import java.nio.file.Path;
import java.util.List;

/**
 * What a merge produced.
 *
 * @param out      the merged model directory
 * @param tensors  tensors written
 * @param changed  tensors an adapter changed or replaced
 * @param shards   safetensors files written
 * @param bytes    bytes of tensor data written
 * @param warnings things the user should know (e.g. tied embeddings), one line each
 */
public record MergeReport(Path out, int tensors, int changed, int shards, long bytes, List<String> warnings) {

    /** The same report for the output moved to {@code path}. */
    MergeReport at(Path path) {
        return new MergeReport(path, tensors, changed, shards, bytes, warnings);
    }
}

package io.peft4j.hub;

import java.util.List;

/**
 * A model repository at one revision.
 *
 * @param id           repository id
 * @param sha          the commit the revision resolved to
 * @param author       owner, may be null
 * @param lastModified ISO-8601 time of the last commit, may be null
 * @param privateRepo  whether the repository is private
 * @param gated        whether downloading needs an account granted access
 * @param downloads    downloads in the last month
 * @param likes        likes
 * @param tags         the Hub's tags
 * @param baseModel    the base model, may be null
 * @param libraryName  library ({@code peft}, {@code transformers}, ...), may be null
 * @param pipelineTag  task, may be null
 * @param files        the files with sizes (and LFS sha256 where the Hub gives it)
 */
public record ModelInfo(String id, String sha, String author, String lastModified, boolean privateRepo,
                        boolean gated, long downloads, long likes, List<String> tags, String baseModel,
                        String libraryName, String pipelineTag, List<RepoFile> files) {

    /** Copies the lists. */
    public ModelInfo {
        tags = List.copyOf(tags);
        files = List.copyOf(files);
    }

    /** Whether this repository looks like a PEFT adapter (library or tag {@code peft}, or an {@code adapter_config.json}). */
    public boolean isPeftAdapter() {
        return "peft".equals(libraryName) || tags.contains("peft")
                || files.stream().anyMatch(f -> f.path().equals("adapter_config.json"));
    }
}

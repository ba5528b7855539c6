package io.peft4j.hub;

import java.util.List;

/**
 * One search result.
 *
 * @param id           repository id, {@code owner/name}
 * @param author       owner, may be null
 * @param downloads    downloads in the last month as the Hub reports them
 * @param likes        likes
 * @param lastModified ISO-8601 time of the last commit, may be null
 * @param tags         the Hub's tags (library, task, {@code base_model:...}, ...)
 * @param baseModel    the base model this one derives from (card metadata or {@code base_model:} tag), may be null
 * @param gated        whether downloading needs an account granted access
 */
public record ModelSummary(String id, String author, long downloads, long likes, String lastModified,
                           List<String> tags, String baseModel, boolean gated) {

    /** Copies the tag list. */
    public ModelSummary {
        tags = List.copyOf(tags);
    }
}

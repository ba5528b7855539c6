package io.peft4j.hub;

/**
 * The commit an upload created.
 *
 * @param commitUrl address of the commit on the Hub
 * @param commitOid the commit hash
 */
public record CommitInfo(String commitUrl, String commitOid) {}

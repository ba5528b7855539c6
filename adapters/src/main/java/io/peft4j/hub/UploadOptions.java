package io.peft4j.hub;

/**
 * How {@link HubClient#upload(java.nio.file.Path, String, UploadOptions)} pushes a folder.
 *
 * @param createRepo    create the repository first (an existing one is fine)
 * @param privateRepo   make a newly created repository private
 * @param revision      branch to commit to
 * @param commitMessage the commit summary
 */
public record UploadOptions(boolean createRepo, boolean privateRepo, String revision, String commitMessage) {

    /** Create the repository if missing (public), commit to {@code main} with "Upload adapter with peft4j". */
    public static final UploadOptions DEFAULT = new UploadOptions(true, false, "main", "Upload adapter with peft4j");
}

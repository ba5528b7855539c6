package io.peft4j.hub;

import java.util.regex.Pattern;

/**
 * A model repository id on the Hub, {@code name} or {@code owner/name}, checked with the same rule
 * as huggingface_hub's {@code validate_repo_id}.
 *
 * @param value the id as the Hub spells it
 */
public record RepoId(String value) {

    private static final Pattern VALID = Pattern.compile("^(\\b[\\w\\-.]+\\b/)?\\b[\\w\\-.]+\\b$");

    /** Checks the id; throws {@link HubException} naming it when it is not a valid repo id. */
    public RepoId {
        if (value == null || value.length() > 96 || !VALID.matcher(value).matches()
                || value.contains("--") || value.contains("..") || value.endsWith(".git")) {
            throw new HubException("not a valid Hub repository id: '" + value + "' (expected owner/name)");
        }
    }

    /** Parses {@code id}; same as the constructor. */
    public static RepoId of(String id) {
        return new RepoId(id);
    }

    /** The owner part, or null for a single-segment id. */
    public String owner() {
        int slash = value.indexOf('/');
        return slash < 0 ? null : value.substring(0, slash);
    }

    /** The name part. */
    public String name() {
        return value.substring(value.indexOf('/') + 1);
    }

    /** The cache folder name, {@code models--owner--name}, as huggingface_hub's {@code repo_folder_name}. */
    public String cacheFolderName() {
        return "models--" + value.replace("/", "--");
    }

    @Override
    public String toString() {
        return value;
    }
}

package io.peft4j.hub;

/** The repository exists but has no such branch, tag or commit. */
public final class RevisionNotFoundException extends HubException {

    /** Creates the exception for {@code revision} of {@code repo}. */
    public RevisionNotFoundException(String repo, String revision) {
        super("revision " + revision + " not found in repository " + repo);
    }
}

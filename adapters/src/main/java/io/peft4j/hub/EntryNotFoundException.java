package io.peft4j.hub;

/** The repository and revision exist but hold no such file. */
public final class EntryNotFoundException extends HubException {

    /** Creates the exception for {@code path} at {@code revision} of {@code repo}. */
    public EntryNotFoundException(String repo, String revision, String path) {
        super("file " + path + " not found in repository " + repo + " at revision " + revision);
    }
}

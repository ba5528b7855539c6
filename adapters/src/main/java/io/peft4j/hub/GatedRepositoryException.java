package io.peft4j.hub;

/** The repository is gated: its files need a token from an account that was granted access. */
public final class GatedRepositoryException extends HubException {

    /** Creates the exception for {@code repo} (and {@code path}, may be null). */
    public GatedRepositoryException(String repo, String path) {
        super("repository " + repo + " is gated" + (path == null ? "" : " (file " + path + ")")
                + ": request access on the Hub and set HF_TOKEN to a token of an account with access");
    }
}

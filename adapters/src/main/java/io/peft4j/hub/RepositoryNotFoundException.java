package io.peft4j.hub;

/** The repository does not exist, or it is private and the token (if any) gives no access to it. */
public final class RepositoryNotFoundException extends HubException {

    /** Creates the exception for {@code repo}. */
    public RepositoryNotFoundException(String repo) {
        super("repository " + repo + " not found on the Hub (or it is private and needs a token with access: set HF_TOKEN)");
    }
}

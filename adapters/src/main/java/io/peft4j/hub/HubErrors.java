package io.peft4j.hub;

import io.peft4j.core.Printable;
import okhttp3.Response;

/**
 * Turns a failed Hub response into the typed exception that says what it means, using the
 * {@code X-Error-Code} header the way huggingface_hub's {@code hf_raise_for_status} does.
 */
final class HubErrors {

    private HubErrors() {}

    /** Throws the matching {@link HubException} when {@code response} is an error; returns otherwise. */
    static void check(Response response, RepoId repo, String revision, String path) {
        int code = response.code();
        if (code < 400) {
            return;
        }
        String errorCode = response.header("X-Error-Code");
        String errorMessage = response.header("X-Error-Message");
        String name = repo == null ? "" : repo.value();
        if ("RepoNotFound".equals(errorCode)) {
            throw new RepositoryNotFoundException(name);
        }
        if ("GatedRepo".equals(errorCode)) {
            throw new GatedRepositoryException(name, path);
        }
        if ("RevisionNotFound".equals(errorCode)) {
            throw new RevisionNotFoundException(name, revision);
        }
        if ("EntryNotFound".equals(errorCode)) {
            throw new EntryNotFoundException(name, revision, path);
        }
        if (code == 401 && "Invalid credentials in Authorization header".equals(errorMessage)) {
            throw new HubHttpException("the Hub refused the token (HF_TOKEN or the saved token): invalid credentials", code, null);
        }
        if (code == 401 && repo != null) {
            throw new RepositoryNotFoundException(name);
        }
        String detail = errorMessage != null ? ": " + Printable.of(errorMessage) : "";
        Long retryAfter = RetryPolicy.isRetryable(code) ? RetryInterceptor.retryAfterSeconds(response.header("Retry-After")) : null;
        if (retryAfter != null) {
            detail += "; the server asked to wait " + retryAfter + " s before trying again (Retry-After)";
        }
        throw new HubHttpException("HTTP " + code + " from " + response.request().method() + " "
                + HubHttp.withoutQuery(response.request().url()) + detail, code, null);
    }
}

package io.peft4j.hub;

import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A model, adapter or tokenizer as a user names it: a local file or folder, or a Hugging Face Hub
 * repository id with an optional revision, {@code owner/name[@revision]}. This is the one rule for
 * telling them apart, used by every command and API that takes either:
 * <ol>
 * <li>an existing local file or folder wins;</li>
 * <li>a name that can only be a local path (absolute, starting with {@code .} or {@code ~}, or
 * holding a backslash) and does not exist is an error;</li>
 * <li>anything else must be a Hub id as huggingface_hub's {@code validate_repo_id} accepts it, with
 * the revision after the last {@code @} ({@code main} when there is none).</li>
 * </ol>
 * {@link #parse} looks at the local file system only; the network is used by {@link #resolve}, when
 * the job that needs the files runs. Every failure is a {@link ModelNotFoundException} whose one-line
 * message says both what is missing locally and why the Hub could not supply it.
 */
public sealed interface ModelRef permits ModelRef.Local, ModelRef.OnHub {

    /** What the user wrote. */
    String text();

    /**
     * The local file or folder this names, as is; or, for a Hub id, the snapshot folder of the
     * revision in {@code hub}'s cache, downloading the files that match {@code includeGlobs} (all
     * when empty) or finding them there.
     */
    Path resolve(HubClient hub, List<String> includeGlobs);

    /** Tells a local path from a Hub id; see the type's rules. */
    static ModelRef parse(String text) {
        if (text == null || text.isBlank()) {
            throw new ModelNotFoundException(String.valueOf(text), "no model named (expected a local folder or a Hub id owner/name[@revision])", null);
        }
        Path local = Path.of(text);
        if (Files.exists(local)) {
            return new Local(text, local);
        }
        if (local.isAbsolute() || text.startsWith(".") || text.startsWith("~") || text.indexOf('\\') >= 0) {
            throw new ModelNotFoundException(text, "no such local file or folder", null);
        }
        int at = text.lastIndexOf('@');
        String repo = at < 0 ? text : text.substring(0, at);
        String revision = at < 0 ? "main" : text.substring(at + 1);
        try {
            RepoId id = RepoId.of(repo);
            return new OnHub(text, id, RepoPaths.checkRevision(id, revision));
        } catch (HubException e) {
            throw new ModelNotFoundException(text, "no such local folder, and not a Hub id of the form owner/name[@revision]", null);
        }
    }

    /** Whether {@code text} names a Hub repository under {@link #parse}'s rules (and no local file or folder). */
    static boolean isHubId(String text) {
        try {
            return parse(text) instanceof OnHub;
        } catch (ModelNotFoundException e) {
            return false;
        }
    }

    /**
     * A local folder for {@code text}: the folder itself, or the full snapshot of a Hub id, with a
     * client configured from the environment ({@code HF_ENDPOINT}, {@code HF_TOKEN},
     * {@code HF_HUB_CACHE}, {@code HF_HUB_OFFLINE}).
     */
    static Path resolve(String text) {
        ModelRef ref = parse(text);
        if (ref instanceof Local l) {
            return l.path();
        }
        try (HubClient hub = HubClient.builder().build()) {
            return ref.resolve(hub, List.of());
        }
    }

    /**
     * An existing local file or folder.
     *
     * @param text what the user wrote
     * @param path the path it names
     */
    record Local(String text, Path path) implements ModelRef {

        @Override
        public Path resolve(HubClient hub, List<String> includeGlobs) {
            return path;
        }
    }

    /**
     * A repository on the Hub at a revision.
     *
     * @param text     what the user wrote
     * @param repo     the repository
     * @param revision branch, tag or commit
     */
    record OnHub(String text, RepoId repo, String revision) implements ModelRef {

        @Override
        public Path resolve(HubClient hub, List<String> includeGlobs) {
            try {
                return hub.snapshot(repo.value(), revision, includeGlobs);
            } catch (GatedRepositoryException e) {
                throw e;
            } catch (HubException e) {
                throw notFound(hub, e);
            }
        }

        /** {@code e} (why the Hub did not supply this repository) as a {@link ModelNotFoundException}. */
        public ModelNotFoundException notFound(HubClient hub, HubException e) {
            String reason = switch (e) {
                case RepositoryNotFoundException r -> "there is no repository " + repo + " on the Hub (" + hub.endpoint()
                        + ") that this token can see";
                case RevisionNotFoundException r -> "repository " + repo + " on the Hub has no revision " + revision;
                case NotInCacheException n -> repo + " at " + revision + " is not in the Hugging Face cache " + hub.cache().root()
                        + " and HF_HUB_OFFLINE is set";
                default -> repo + " is not reachable on the Hub (" + (e.getCause() instanceof UnknownHostException
                        ? "unknown host " + java.net.URI.create(hub.endpoint()).getHost()
                        : e.getMessage().lines().findFirst().orElse("")) + ")";
            };
            return new ModelNotFoundException(text, "no such local folder, and " + reason, e);
        }
    }
}

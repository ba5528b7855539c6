package io.peft4j.hub;

/**
 * The one rule for names that become paths in the cache: a file path in a repository or a
 * revision name must be relative, use {@code /} as separator and contain no {@code .} or
 * {@code ..} segment, so nothing is ever written outside the cache.
 */
final class RepoPaths {

    private RepoPaths() {}

    /** Returns {@code path} unchanged, or throws naming the repository and the path. */
    static String checkFile(RepoId repo, String path) {
        if (!isSafe(path)) {
            throw new HubException("refusing file path '" + path + "' in repository " + repo
                    + ": it must be relative with no '..' segment");
        }
        return path;
    }

    /** Returns {@code revision} unchanged, or throws naming the repository and the revision. */
    static String checkRevision(RepoId repo, String revision) {
        if (!isSafe(revision)) {
            throw new HubException("refusing revision '" + revision + "' of repository " + repo
                    + ": it must be a branch, tag or commit with no '..' segment");
        }
        return revision;
    }

    private static boolean isSafe(String path) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.indexOf('\\') >= 0
                || path.indexOf('\0') >= 0 || (path.length() > 1 && path.charAt(1) == ':')) {
            return false;
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }
}

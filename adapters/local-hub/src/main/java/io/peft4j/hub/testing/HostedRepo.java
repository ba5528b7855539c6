package io.peft4j.hub.testing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** A model repository held by {@link LocalHub}: metadata, commits, and branches pointing at them. */
final class HostedRepo {

    /** One commit: its hash, message, time, and the complete file set. */
    record Commit(String sha, String message, Instant time, Map<String, HostedFile> files) {}

    final String id;
    final List<String> tags = Collections.synchronizedList(new ArrayList<>());
    String baseModel;
    String libraryName;
    long downloads;
    long likes;
    boolean gated;
    boolean privateRepo;
    final Instant createdAt;
    final Map<String, Commit> commits = new ConcurrentHashMap<>();
    final Map<String, String> branches = new ConcurrentHashMap<>();

    HostedRepo(String id, Instant createdAt) {
        this.id = id;
        this.createdAt = createdAt;
    }

    String author() {
        return id.contains("/") ? id.substring(0, id.indexOf('/')) : null;
    }

    /** The commit a branch name or full commit hash stands for, or null. */
    Commit resolve(String revision) {
        String sha = branches.getOrDefault(revision, revision);
        return commits.get(sha);
    }

    Commit head() {
        return resolve("main");
    }

    /** Records a commit on {@code branch} whose files are the branch's files plus {@code added} minus {@code deleted}. */
    synchronized Commit commit(String branch, String message, Map<String, HostedFile> added, List<String> deleted, Instant time) {
        Commit parent = resolve(branch);
        Map<String, HostedFile> files = new TreeMap<>(parent == null ? Map.of() : parent.files());
        deleted.forEach(files::remove);
        files.putAll(added);
        MessageDigest sha1 = HostedFile.digest("SHA-1");
        sha1.update((parent == null ? "root" : parent.sha()).getBytes(StandardCharsets.UTF_8));
        sha1.update((message + "\n" + time).getBytes(StandardCharsets.UTF_8));
        files.values().forEach(f -> sha1.update((f.path() + "\0" + f.gitOid() + "\n").getBytes(StandardCharsets.UTF_8)));
        Commit commit = new Commit(HexFormat.of().formatHex(sha1.digest()), message, time, Collections.unmodifiableSortedMap((TreeMap<String, HostedFile>) files));
        commits.put(commit.sha(), commit);
        branches.put(branch, commit.sha());
        return commit;
    }
}

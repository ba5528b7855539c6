package io.peft4j.hub.testing;

import static io.peft4j.hub.testing.Exchanges.JSON;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.peft4j.hub.testing.Exchanges.HubError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The Hub host's routes: the JSON API, {@code resolve}, and the git LFS endpoints. */
final class ApiRoutes implements HttpHandler {

    private static final Pattern SHA256 = Pattern.compile("^[0-9a-f]{64}$");
    private static final Set<String> API_MARKERS = Set.of("revision", "tree", "preupload", "commit");

    private final LocalHub hub;

    ApiRoutes(LocalHub hub) {
        this.hub = hub;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        String rawPath = ex.getRequestURI().getRawPath();
        try {
            Exchanges.handle(ex, hub.takeFault(ex.getRequestMethod(), rawPath),
                    () -> route(ex, Exchanges.segments(rawPath), Exchanges.query(ex.getRequestURI().getRawQuery())));
        } catch (HubError e) {
            Exchanges.sendError(ex, e);
        }
    }

    private void route(HttpExchange ex, List<String> seg, Map<String, List<String>> query) throws IOException {
        String method = ex.getRequestMethod();
        if (seg.size() == 2 && seg.get(0).equals("api") && seg.get(1).equals("models") && method.equals("GET")) {
            search(ex, query);
        } else if (seg.equals(List.of("api", "repos", "create")) && method.equals("POST")) {
            createRepo(ex);
        } else if (seg.size() >= 3 && seg.get(0).equals("api") && seg.get(1).equals("models")) {
            modelApi(ex, seg.subList(2, seg.size()), query);
        } else if (seg.size() >= 4 && (seg.get(1).equals("resolve") || seg.get(2).equals("resolve"))) {
            int at = seg.get(1).equals("resolve") ? 1 : 2;
            String repo = String.join("/", seg.subList(0, at));
            resolve(ex, repo, seg.get(at + 1), String.join("/", seg.subList(at + 2, seg.size())));
        } else if (gitLfs(ex, seg)) {
            return;
        } else {
            throw new HubError(404, null, "no route for " + method + " " + ex.getRequestURI().getRawPath());
        }
    }

    // ---- access ---------------------------------------------------------------------------------

    private boolean authorized(HttpExchange ex) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        return auth != null && auth.startsWith("Bearer ") && hub.tokens.contains(auth.substring(7));
    }

    private HostedRepo visibleRepo(HttpExchange ex, String id) {
        HostedRepo repo = hub.repos.get(id);
        if (repo == null || (repo.privateRepo && !authorized(ex))) {
            throw new HubError(401, "RepoNotFound", "Repository not found");
        }
        return repo;
    }

    private HostedRepo.Commit commit(HostedRepo repo, String revision) {
        HostedRepo.Commit c = repo.resolve(revision);
        if (c == null) {
            throw new HubError(404, "RevisionNotFound", "Invalid rev id: " + revision);
        }
        return c;
    }

    private void requireWrite(HttpExchange ex) {
        if (!authorized(ex)) {
            throw new HubError(401, null, "Invalid credentials in Authorization header");
        }
    }

    // ---- search, info, tree ---------------------------------------------------------------------

    private void search(HttpExchange ex, Map<String, List<String>> query) throws IOException {
        String text = first(query, "search");
        String author = first(query, "author");
        List<String> filters = query.getOrDefault("filter", List.of());
        String sort = first(query, "sort");
        int limit = first(query, "limit") == null ? Integer.MAX_VALUE : Integer.parseInt(first(query, "limit"));
        int cursor = first(query, "cursor") == null ? 0 : Integer.parseInt(first(query, "cursor"));
        List<HostedRepo> found = new ArrayList<>();
        for (HostedRepo r : hub.sortedRepos()) {
            boolean visible = !r.privateRepo || authorized(ex);
            boolean textOk = text == null || r.id.toLowerCase(Locale.ROOT).contains(text.toLowerCase(Locale.ROOT));
            boolean authorOk = author == null || author.equals(r.author());
            if (visible && textOk && authorOk && r.tags.containsAll(filters)) {
                found.add(r);
            }
        }
        if (sort != null) {
            Comparator<HostedRepo> order = switch (sort) {
                case "downloads" -> Comparator.comparingLong(r -> r.downloads);
                case "likes", "trendingScore" -> Comparator.comparingLong(r -> r.likes);
                case "lastModified" -> Comparator.comparing(r -> r.head().time());
                case "createdAt" -> Comparator.comparing(r -> r.createdAt);
                default -> throw new HubError(400, null, "unknown sort " + sort);
            };
            found.sort(order.reversed());
        }
        int page = Math.min(hub.pageSize, limit);
        int end = Math.min(found.size(), cursor + page);
        ArrayNode body = JSON.createArrayNode();
        for (HostedRepo r : found.subList(Math.min(cursor, found.size()), end)) {
            body.add(modelJson(r, r.head(), false));
        }
        if (end < found.size()) {
            String next = hub.endpoint() + "/api/models?" + withCursor(ex.getRequestURI().getRawQuery(), end);
            ex.getResponseHeaders().set("Link", "<" + next + ">; rel=\"next\"");
        }
        Exchanges.sendJson(ex, 200, body);
    }

    private void modelApi(HttpExchange ex, List<String> rest, Map<String, List<String>> query) throws IOException {
        int marker = -1;
        for (int i = 1; i <= Math.min(2, rest.size() - 1); i++) {
            if (API_MARKERS.contains(rest.get(i))) {
                marker = i;
                break;
            }
        }
        String id = String.join("/", marker < 0 ? rest : rest.subList(0, marker));
        String action = marker < 0 ? "info" : rest.get(marker);
        String revision = marker < 0 || rest.size() <= marker + 1 ? "main" : rest.get(marker + 1);
        String method = ex.getRequestMethod();
        switch (action) {
            case "info", "revision" -> {
                HostedRepo repo = visibleRepo(ex, id);
                boolean blobs = "true".equals(first(query, "blobs"));
                Exchanges.sendJson(ex, 200, modelJson(repo, commit(repo, revision), blobs));
            }
            case "tree" -> tree(ex, id, revision, String.join("/", rest.subList(Math.min(rest.size(), marker + 2), rest.size())), query);
            case "preupload" -> {
                requirePost(method);
                preupload(ex, id, revision);
            }
            case "commit" -> {
                requirePost(method);
                commitFiles(ex, id, revision);
            }
            default -> throw new HubError(404, null, "no route");
        }
    }

    private ObjectNode modelJson(HostedRepo repo, HostedRepo.Commit commit, boolean blobs) {
        ObjectNode m = JSON.createObjectNode();
        m.put("_id", Integer.toHexString(repo.id.hashCode()));
        m.put("id", repo.id);
        m.put("modelId", repo.id);
        if (repo.author() != null) {
            m.put("author", repo.author());
        }
        m.put("sha", commit.sha());
        m.put("lastModified", commit.time().toString());
        m.put("createdAt", repo.createdAt.toString());
        m.put("private", repo.privateRepo);
        if (repo.gated) {
            m.put("gated", "manual");
        } else {
            m.put("gated", false);
        }
        m.put("disabled", false);
        m.put("downloads", repo.downloads);
        m.put("likes", repo.likes);
        ArrayNode tags = m.putArray("tags");
        repo.tags.forEach(tags::add);
        if (repo.libraryName != null) {
            m.put("library_name", repo.libraryName);
        }
        if (repo.baseModel != null) {
            m.putObject("cardData").put("base_model", repo.baseModel);
        }
        ArrayNode siblings = m.putArray("siblings");
        for (HostedFile f : commit.files().values()) {
            ObjectNode s = siblings.addObject().put("rfilename", f.path());
            if (blobs) {
                s.put("blobId", f.gitOid()).put("size", f.size());
                if (f.lfs()) {
                    s.putObject("lfs").put("sha256", f.sha256()).put("size", f.size())
                            .put("pointerSize", HostedFile.pointer(f.sha256(), f.size()).length());
                }
            }
        }
        return m;
    }

    private void tree(HttpExchange ex, String id, String revision, String under, Map<String, List<String>> query) throws IOException {
        HostedRepo repo = visibleRepo(ex, id);
        HostedRepo.Commit commit = commit(repo, revision);
        boolean recursive = "true".equals(first(query, "recursive"));
        String prefix = under.isEmpty() ? "" : under + "/";
        Map<String, ObjectNode> entries = new LinkedHashMap<>();
        for (HostedFile f : commit.files().values()) {
            if (!f.path().startsWith(prefix)) {
                continue;
            }
            String rest = f.path().substring(prefix.length());
            String[] parts = rest.split("/");
            for (int i = 1; i < parts.length && (recursive || i == 1); i++) {
                String dir = prefix + String.join("/", List.of(parts).subList(0, i));
                entries.computeIfAbsent(dir, d -> JSON.createObjectNode().put("type", "directory")
                        .put("oid", HostedFile.gitOid(d.getBytes(StandardCharsets.UTF_8))).put("size", 0).put("path", d));
            }
            if (recursive || parts.length == 1) {
                ObjectNode e = JSON.createObjectNode().put("type", "file").put("oid", f.gitOid()).put("size", f.size()).put("path", f.path());
                if (f.lfs()) {
                    e.putObject("lfs").put("oid", f.sha256()).put("size", f.size())
                            .put("pointerSize", HostedFile.pointer(f.sha256(), f.size()).length());
                }
                entries.put(f.path(), e);
            }
        }
        List<ObjectNode> all = new ArrayList<>(entries.values());
        int cursor = first(query, "cursor") == null ? 0 : Integer.parseInt(first(query, "cursor"));
        int end = Math.min(all.size(), cursor + hub.pageSize);
        ArrayNode body = JSON.createArrayNode();
        all.subList(Math.min(cursor, all.size()), end).forEach(body::add);
        if (end < all.size()) {
            ex.getResponseHeaders().set("Link", "<" + hub.endpoint() + ex.getRequestURI().getRawPath() + "?"
                    + withCursor(ex.getRequestURI().getRawQuery(), end) + ">; rel=\"next\"");
        }
        Exchanges.sendJson(ex, 200, body);
    }

    // ---- resolve --------------------------------------------------------------------------------

    private void resolve(HttpExchange ex, String id, String revision, String path) throws IOException {
        HostedRepo repo = visibleRepo(ex, id);
        if (repo.gated && !authorized(ex)) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            throw new HubError(auth == null ? 401 : 403, "GatedRepo", "Access to model " + id + " is restricted");
        }
        HostedRepo.Commit commit = commit(repo, revision);
        HostedFile file = commit.files().get(path);
        if (file == null) {
            throw new HubError(404, "EntryNotFound", "Entry not found").header("X-Repo-Commit", commit.sha());
        }
        var headers = ex.getResponseHeaders();
        headers.set("X-Repo-Commit", commit.sha());
        headers.set("ETag", "\"" + file.gitOid() + "\"");
        if (file.lfs()) {
            headers.set("X-Linked-Etag", "\"" + file.sha256() + "\"");
            headers.set("X-Linked-Size", Long.toString(file.size()));
            headers.set("Location", hub.cdnBase() + "/lfs/" + file.sha256() + "?expires=3600&signature=local");
            headers.set("Content-Length", "0");
            ex.sendResponseHeaders(302, -1);
            return;
        }
        Exchanges.sendFile(ex, file);
    }

    // ---- uploads --------------------------------------------------------------------------------

    private void createRepo(HttpExchange ex) throws IOException {
        requireWrite(ex);
        JsonNode body = Exchanges.readJson(ex);
        String name = body.path("name").asText(null);
        if (name == null || name.contains("/")) {
            throw new HubError(400, null, "create: 'name' must be a repository name without '/'");
        }
        String org = body.path("organization").asText(null);
        String id = org == null || body.path("organization").isNull() ? name : org + "/" + name;
        if (hub.repos.containsKey(id)) {
            throw new HubError(409, null, "You already created this model repo");
        }
        LocalHub.RepoSpec spec = hub.createRepo(id).file(".gitattributes", "*.safetensors filter=lfs diff=lfs merge=lfs -text\n".getBytes(StandardCharsets.UTF_8));
        if (body.path("private").asBoolean(false)) {
            spec.privateRepo();
        }
        spec.commit("initial commit");
        Exchanges.sendJson(ex, 200, JSON.createObjectNode().put("url", hub.endpoint() + "/" + id).put("name", id));
    }

    private void preupload(HttpExchange ex, String id, String revision) throws IOException {
        requireWrite(ex);
        HostedRepo repo = visibleRepo(ex, id);
        HostedRepo.Commit head = commit(repo, revision);
        JsonNode body = Exchanges.readJson(ex);
        if (!body.path("files").isArray()) {
            throw new HubError(400, null, "preupload: 'files' must be an array");
        }
        ArrayNode out = JSON.createArrayNode();
        for (JsonNode f : body.path("files")) {
            String path = f.path("path").asText(null);
            JsonNode size = f.path("size");
            byte[] sample;
            try {
                sample = Base64.getDecoder().decode(f.path("sample").asText(""));
            } catch (IllegalArgumentException e) {
                throw new HubError(400, null, "preupload: 'sample' of " + path + " is not base64");
            }
            if (path == null || !size.canConvertToLong() || size.asLong() < 0 || sample.length > 512) {
                throw new HubError(400, null, "preupload: each file needs 'path', 'size' and a base64 'sample' of at most 512 bytes");
            }
            HostedFile existing = head.files().get(path);
            out.addObject().put("path", path)
                    .put("uploadMode", HostedFile.goesToLfs(path, size.asLong(), sample) ? "lfs" : "regular")
                    .put("shouldIgnore", false)
                    .put("oid", existing == null ? null : existing.gitOid());
        }
        ObjectNode answer = JSON.createObjectNode();
        answer.set("files", out);
        answer.put("commitOid", head.sha());
        Exchanges.sendJson(ex, 200, answer);
    }

    private void commitFiles(HttpExchange ex, String id, String revision) throws IOException {
        requireWrite(ex);
        HostedRepo repo = visibleRepo(ex, id);
        if (!repo.branches.containsKey(revision)) {
            throw new HubError(404, "RevisionNotFound", "Invalid rev id: " + revision);
        }
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.startsWith("application/x-ndjson")) {
            throw new HubError(400, null, "commit: Content-Type must be application/x-ndjson, got " + type);
        }
        String[] lines = new String(Exchanges.readBody(ex), StandardCharsets.UTF_8).split("\n");
        JsonNode header = JSON.readTree(lines[0]);
        if (!"header".equals(header.path("key").asText()) || !header.path("value").path("summary").isTextual()) {
            throw new HubError(400, null, "commit: the first line must be {\"key\":\"header\",\"value\":{\"summary\":...}}");
        }
        Map<String, HostedFile> added = new LinkedHashMap<>();
        Set<String> deleted = new LinkedHashSet<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            JsonNode line = JSON.readTree(lines[i]);
            JsonNode v = line.path("value");
            String path = v.path("path").asText(null);
            if (path == null || path.startsWith("/") || List.of(path.split("/")).contains("..")) {
                throw new HubError(400, null, "commit: bad path " + path);
            }
            switch (line.path("key").asText()) {
                case "file" -> {
                    if (!"base64".equals(v.path("encoding").asText())) {
                        throw new HubError(400, null, "commit: file " + path + " must have encoding base64");
                    }
                    added.put(path, hub.store(path, Base64.getDecoder().decode(v.path("content").asText())));
                }
                case "lfsFile" -> {
                    HostedFile object = hub.lfsObjects.get(v.path("oid").asText());
                    if (!"sha256".equals(v.path("algo").asText()) || object == null || object.size() != v.path("size").asLong()) {
                        throw new HubError(400, null, "commit: lfsFile " + path + " refers to an LFS object that was not uploaded");
                    }
                    added.put(path, HostedFile.lfsObject(path, object.content(), object.size(), object.sha256()));
                }
                case "deletedFile" -> deleted.add(path);
                default -> throw new HubError(400, null, "commit: unknown line key " + line.path("key").asText());
            }
        }
        HostedRepo.Commit c = repo.commit(revision, header.path("value").path("summary").asText(), added, List.copyOf(deleted), hub.tick());
        Exchanges.sendJson(ex, 200, JSON.createObjectNode().put("success", true).put("commitOid", c.sha())
                .put("commitUrl", hub.endpoint() + "/" + id + "/commit/" + c.sha()));
    }

    /** {@code /{repo}.git/info/lfs/objects/batch} and {@code .../verify}; returns false when the path is not one. */
    private boolean gitLfs(HttpExchange ex, List<String> seg) throws IOException {
        int git = -1;
        for (int i = 0; i < seg.size(); i++) {
            if (seg.get(i).endsWith(".git")) {
                git = i;
                break;
            }
        }
        if (git < 0 || !seg.subList(git + 1, seg.size()).subList(0, Math.min(3, seg.size() - git - 1)).equals(List.of("info", "lfs", "objects"))
                || seg.size() != git + 5) {
            return false;
        }
        requirePost(ex.getRequestMethod());
        requireWrite(ex);
        String id = String.join("/", seg.subList(0, git + 1));
        id = id.substring(0, id.length() - 4);
        HostedRepo repo = visibleRepo(ex, id);
        String action = seg.get(git + 4);
        JsonNode body = Exchanges.readJson(ex);
        if (action.equals("batch")) {
            lfsBatch(ex, repo, body);
        } else if (action.equals("verify")) {
            HostedFile object = hub.lfsObjects.get(body.path("oid").asText());
            if (object == null || object.size() != body.path("size").asLong()) {
                throw new HubError(404, null, "verify: object " + body.path("oid").asText() + " not stored");
            }
            Exchanges.sendJson(ex, 200, JSON.createObjectNode().put("success", true));
        } else {
            return false;
        }
        return true;
    }

    private void lfsBatch(HttpExchange ex, HostedRepo repo, JsonNode body) throws IOException {
        String accept = ex.getRequestHeaders().getFirst("Accept");
        if (accept == null || !accept.contains("application/vnd.git-lfs+json")) {
            throw new HubError(400, null, "batch: Accept must be application/vnd.git-lfs+json");
        }
        boolean basic = false;
        for (JsonNode t : body.path("transfers")) {
            basic |= t.asText().equals("basic");
        }
        if (!"upload".equals(body.path("operation").asText()) || !basic || !"sha256".equals(body.path("hash_algo").asText())) {
            throw new HubError(400, null, "batch: expected operation=upload, transfers with basic, hash_algo=sha256");
        }
        ArrayNode objects = JSON.createArrayNode();
        for (JsonNode o : body.path("objects")) {
            String oid = o.path("oid").asText();
            if (!SHA256.matcher(oid).matches() || !o.path("size").canConvertToLong()) {
                throw new HubError(400, null, "batch: each object needs a sha256 'oid' and a 'size'");
            }
            ObjectNode answer = objects.addObject().put("oid", oid).put("size", o.path("size").asLong()).put("authenticated", true);
            if (!hub.lfsObjects.containsKey(oid)) {
                ObjectNode actions = answer.putObject("actions");
                actions.putObject("upload").put("href", hub.cdnBase() + "/upload/" + oid + "?signature=local").putObject("header");
                actions.putObject("verify").put("href", hub.endpoint() + "/" + repo.id + ".git/info/lfs/objects/verify").putObject("header");
            }
        }
        ObjectNode answer = JSON.createObjectNode().put("transfer", "basic");
        answer.set("objects", objects);
        Exchanges.sendJson(ex, 200, answer);
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static void requirePost(String method) {
        if (!method.equals("POST")) {
            throw new HubError(405, null, "method " + method + " not allowed");
        }
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static String withCursor(String rawQuery, int cursor) {
        List<String> kept = new ArrayList<>();
        if (rawQuery != null) {
            for (String pair : rawQuery.split("&")) {
                if (!pair.startsWith("cursor=") && !pair.isEmpty()) {
                    kept.add(pair);
                }
            }
        }
        kept.add("cursor=" + cursor);
        return String.join("&", kept);
    }
}

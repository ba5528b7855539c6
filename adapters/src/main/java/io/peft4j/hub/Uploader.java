package io.peft4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Pushes a folder in one commit, following huggingface_hub's {@code upload_folder}: create the
 * repository if asked, ask {@code preupload} which files go to LFS, upload those through the LFS
 * batch API (basic transfer: one PUT, then verify), then POST the commit as NDJSON (a header line,
 * then a {@code file} line with base64 content per regular file and an {@code lfsFile} line per
 * LFS file).
 */
final class Uploader {

    private static final MediaType JSON = MediaType.get("application/json");
    private static final MediaType LFS_JSON = MediaType.get("application/vnd.git-lfs+json");
    private static final MediaType NDJSON = MediaType.get("application/x-ndjson");
    private static final MediaType OCTETS = MediaType.get("application/octet-stream");
    private static final int PREUPLOAD_CHUNK = 256;

    private final HubHttp http;

    Uploader(HubHttp http) {
        this.http = http;
    }

    /** A local file to commit. */
    private record LocalFile(Path file, String pathInRepo, long size, String sha256, byte[] sample) {}

    CommitInfo upload(Path dir, RepoId repo, UploadOptions options) {
        if (!Files.isDirectory(dir)) {
            throw new HubException("cannot upload " + dir + ": not a directory");
        }
        String revision = RepoPaths.checkRevision(repo, options.revision());
        List<LocalFile> files = scan(dir, repo);
        if (files.isEmpty()) {
            throw new HubException("cannot upload " + dir + ": it holds no files");
        }
        if (options.createRepo()) {
            createRepo(repo, options.privateRepo());
        }
        Map<String, String> modes = preupload(repo, revision, files);
        List<LocalFile> lfs = files.stream().filter(f -> "lfs".equals(modes.get(f.pathInRepo()))).toList();
        if (!lfs.isEmpty()) {
            uploadLfs(repo, revision, lfs);
        }
        return commit(repo, revision, files, modes, options.commitMessage());
    }

    private static List<LocalFile> scan(Path dir, RepoId repo) {
        try (Stream<Path> walk = Files.walk(dir)) {
            List<LocalFile> out = new ArrayList<>();
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                String rel = dir.relativize(file).toString().replace('\\', '/');
                if (rel.equals(".git") || rel.startsWith(".git/") || rel.startsWith(".cache/huggingface/")) {
                    continue;
                }
                out.add(describe(file, RepoPaths.checkFile(repo, rel)));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir + " for upload", e);
        }
    }

    private static LocalFile describe(Path file, String pathInRepo) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] sample;
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
            sample = in.readNBytes(512);
            in.transferTo(OutputStream.nullOutputStream());
        }
        return new LocalFile(file, pathInRepo, Files.size(file), HexFormat.of().formatHex(sha.digest()), sample);
    }

    private void createRepo(RepoId repo, boolean privateRepo) {
        ObjectNode body = http.json.createObjectNode();
        body.put("name", repo.name());
        body.put("organization", repo.owner());
        body.put("private", privateRepo);
        body.put("type", "model");
        HttpUrl url = http.endpoint.newBuilder().addPathSegments("api/repos/create").build();
        try (Response response = post(url, body, JSON)) {
            if (response.code() != 409) {
                HubErrors.check(response, repo, null, null);
            }
        }
    }

    private Map<String, String> preupload(RepoId repo, String revision, List<LocalFile> files) {
        Map<String, String> modes = new HashMap<>();
        Map<String, Boolean> ignored = new HashMap<>();
        for (int start = 0; start < files.size(); start += PREUPLOAD_CHUNK) {
            ObjectNode body = http.json.createObjectNode();
            ArrayNode list = body.putArray("files");
            for (LocalFile f : files.subList(start, Math.min(files.size(), start + PREUPLOAD_CHUNK))) {
                list.addObject().put("path", f.pathInRepo())
                        .put("sample", Base64.getEncoder().encodeToString(f.sample())).put("size", f.size());
            }
            HttpUrl url = http.modelApi(repo).addPathSegment("preupload").addPathSegment(revision).build();
            for (JsonNode f : readJson(post(url, body, JSON), repo, revision).path("files")) {
                modes.put(f.path("path").asText(), f.path("uploadMode").asText());
                ignored.put(f.path("path").asText(), f.path("shouldIgnore").asBoolean(false));
            }
        }
        for (LocalFile f : files) {
            if (!modes.containsKey(f.pathInRepo())) {
                throw new HubHttpException("the Hub's preupload answer for " + repo + " misses " + f.pathInRepo(), 0, null);
            }
            if (f.size() == 0) {
                modes.put(f.pathInRepo(), "regular");
            }
            if (ignored.get(f.pathInRepo())) {
                modes.put(f.pathInRepo(), "ignored");
            }
        }
        return modes;
    }

    private void uploadLfs(RepoId repo, String revision, List<LocalFile> files) {
        ObjectNode body = http.json.createObjectNode();
        body.put("operation", "upload");
        body.putArray("transfers").add("basic");
        ArrayNode objects = body.putArray("objects");
        files.forEach(f -> objects.addObject().put("oid", f.sha256()).put("size", f.size()));
        body.put("hash_algo", "sha256");
        body.putObject("ref").put("name", revision);
        HttpUrl batch = http.endpoint.newBuilder().addPathSegments(repo.value() + ".git")
                .addPathSegments("info/lfs/objects/batch").build();
        Request request = new Request.Builder().url(batch).header("Accept", LFS_JSON.toString())
                .post(RequestBody.create(body.toString(), LFS_JSON)).build();
        JsonNode answer = readJson(http.execute(http.api, request), repo, revision);
        Map<String, LocalFile> byOid = new HashMap<>();
        files.forEach(f -> byOid.put(f.sha256(), f));
        for (JsonNode object : answer.path("objects")) {
            LocalFile file = byOid.get(object.path("oid").asText());
            if (object.has("error") || file == null) {
                throw new HubHttpException("the Hub's LFS server refused " + (file == null ? object.path("oid").asText() : file.pathInRepo())
                        + " for " + repo + ": " + object.path("error").path("message").asText("unknown object"), 0, null);
            }
            JsonNode actions = object.path("actions");
            if (actions.isMissingNode() || actions.isNull()) {
                continue; // already stored upstream
            }
            putContent(repo, file, actions.path("upload"));
            JsonNode verify = actions.path("verify");
            if (verify.isObject()) {
                ObjectNode check = http.json.createObjectNode().put("oid", file.sha256()).put("size", file.size());
                try (Response response = post(HttpUrl.get(verify.path("href").asText()), check, JSON)) {
                    HubErrors.check(response, repo, revision, file.pathInRepo());
                }
            }
        }
    }

    private void putContent(RepoId repo, LocalFile file, JsonNode upload) {
        if (upload.path("header").has("chunk_size")) {
            throw new HubHttpException("the Hub asked for a multipart LFS upload of " + file.pathInRepo()
                    + " to " + repo + "; only the basic transfer is supported", 0, null);
        }
        Request.Builder put = new Request.Builder().url(upload.path("href").asText())
                .put(RequestBody.create(file.file().toFile(), OCTETS));
        upload.path("header").properties().forEach(h -> put.header(h.getKey(), h.getValue().asText()));
        try (Response response = http.execute(http.transfer, put.build())) {
            HubErrors.check(response, repo, null, file.pathInRepo());
        }
    }

    private CommitInfo commit(RepoId repo, String revision, List<LocalFile> files, Map<String, String> modes, String message) {
        StringBuilder ndjson = new StringBuilder();
        ObjectNode header = http.json.createObjectNode();
        header.put("key", "header").putObject("value").put("summary", message).put("description", "");
        ndjson.append(header).append('\n');
        for (LocalFile f : files) {
            String mode = modes.get(f.pathInRepo());
            ObjectNode line = http.json.createObjectNode();
            if (mode.equals("lfs")) {
                line.put("key", "lfsFile").putObject("value").put("path", f.pathInRepo()).put("algo", "sha256")
                        .put("oid", f.sha256()).put("size", f.size());
            } else if (mode.equals("regular")) {
                line.put("key", "file").putObject("value").put("content", base64(f.file())).put("path", f.pathInRepo())
                        .put("encoding", "base64");
            } else {
                continue;
            }
            ndjson.append(line).append('\n');
        }
        HttpUrl url = http.modelApi(repo).addPathSegment("commit").addPathSegment(revision).build();
        Request request = new Request.Builder().url(url).post(RequestBody.create(ndjson.toString(), NDJSON)).build();
        JsonNode answer = readJson(http.execute(http.api, request), repo, revision);
        return new CommitInfo(answer.path("commitUrl").asText(), answer.path("commitOid").asText());
    }

    private Response post(HttpUrl url, JsonNode body, MediaType type) {
        Request request = new Request.Builder().url(url).post(RequestBody.create(body.toString(), type)).build();
        return http.execute(http.api, request);
    }

    private JsonNode readJson(Response response, RepoId repo, String revision) {
        try (response) {
            HubErrors.check(response, repo, revision, null);
            return http.readJson(response, http.timeout);
        }
    }

    private static String base64(Path file) {
        try {
            return Base64.getEncoder().encodeToString(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}

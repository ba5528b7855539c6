package io.peft4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads the Hub's JSON answers into the value types, checking their shape first: a field the value
 * types need that is missing or of the wrong kind (an answer from something that is not a Hub, say)
 * is a {@link HubHttpException} naming the address and the field, never a null in the result.
 */
final class HubJson {

    private static final List<String> RELATIONS = List.of("adapter:", "finetune:", "quantized:", "merge:");
    private static final Pattern COMMIT = Pattern.compile("^[0-9a-f]{40}$");

    private HubJson() {}

    static ModelSummary summary(JsonNode m, String from) {
        Shape shape = new Shape(m, from, "a search result");
        List<String> tags = shape.strings(m, "tags");
        String id = shape.id(m);
        return new ModelSummary(id, shape.text(m, "author", ownerOf(id)), shape.count(m, "downloads"),
                shape.count(m, "likes"), shape.text(m, "lastModified", null), tags, baseModel(m, tags), gated(m));
    }

    static ModelInfo info(JsonNode m, String from) {
        Shape shape = new Shape(m, from, "model information");
        List<String> tags = shape.strings(m, "tags");
        String id = shape.id(m);
        String sha = shape.text(m, "sha", null);
        if (sha == null || !COMMIT.matcher(sha).matches()) {
            throw shape.bad(sha == null ? "'sha' is missing" : "'sha' is not a 40-character commit hash");
        }
        List<RepoFile> files = new ArrayList<>();
        for (JsonNode s : shape.array(m, "siblings")) {
            String path = shape.required(s, "rfilename", "a file in 'siblings'");
            JsonNode lfs = s.path("lfs");
            String lfsSha = lfs.isObject() ? shape.text(lfs, "sha256", shape.text(lfs, "oid", null)) : null;
            long size = s.has("size") ? shape.size(s, "size", path) : lfs.isObject() && lfs.has("size") ? shape.size(lfs, "size", path) : -1;
            files.add(new RepoFile(path, size, shape.text(s, "blobId", null), lfsSha));
        }
        return new ModelInfo(id, sha, shape.text(m, "author", ownerOf(id)), shape.text(m, "lastModified", null),
                m.path("private").asBoolean(false), gated(m), shape.count(m, "downloads"), shape.count(m, "likes"),
                tags, baseModel(m, tags), shape.text(m, "library_name", null), shape.text(m, "pipeline_tag", null), files);
    }

    /** A tree entry, or null when it is a directory. */
    static RepoFile treeFile(JsonNode e, String from) {
        Shape shape = new Shape(e, from, "a file listing");
        String type = shape.required(e, "type", "an entry");
        String path = shape.required(e, "path", "an entry");
        if (!"file".equals(type)) {
            return null;
        }
        JsonNode lfs = e.path("lfs");
        return new RepoFile(path, shape.size(e, "size", path), shape.text(e, "oid", null),
                lfs.isObject() ? shape.text(lfs, "oid", null) : null);
    }

    private static boolean gated(JsonNode m) {
        JsonNode g = m.path("gated");
        return g.isTextual() ? !g.asText().equals("false") : g.asBoolean(false);
    }

    private static String baseModel(JsonNode m, List<String> tags) {
        JsonNode fromCard = m.path("cardData").path("base_model");
        if (fromCard.isTextual()) {
            return fromCard.asText();
        }
        if (fromCard.isArray() && !fromCard.isEmpty() && fromCard.get(0).isTextual()) {
            return fromCard.get(0).asText();
        }
        for (String tag : tags) {
            if (tag.startsWith("base_model:")) {
                String rest = tag.substring("base_model:".length());
                for (String relation : RELATIONS) {
                    if (rest.startsWith(relation)) {
                        rest = rest.substring(relation.length());
                    }
                }
                return rest;
            }
        }
        return null;
    }

    private static String ownerOf(String id) {
        return id.contains("/") ? id.substring(0, id.indexOf('/')) : null;
    }

    /** Shape checks of one answer, each failure naming the address, what was expected and the field. */
    private record Shape(String from, String what) {

        Shape(JsonNode node, String from, String what) {
            this(from, what);
            if (!node.isObject()) {
                throw bad("expected a JSON object, got " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
            }
        }

        HubHttpException bad(String problem) {
            return new HubHttpException("the answer from " + from + " is not " + what + " from a Hugging Face Hub: "
                    + problem, 0, null);
        }

        String id(JsonNode m) {
            String id = text(m, "id", text(m, "modelId", null));
            if (id == null || id.isBlank()) {
                throw bad("'id' is missing");
            }
            return id;
        }

        String required(JsonNode node, String field, String of) {
            if (!node.isObject()) {
                throw bad(of + " is not a JSON object");
            }
            String v = text(node, field, null);
            if (v == null || v.isEmpty()) {
                throw bad("'" + field + "' of " + of + " is missing");
            }
            return v;
        }

        /** A text field, or {@code fallback} when absent or null; any other kind of value is refused. */
        String text(JsonNode node, String field, String fallback) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isTextual()) {
                throw bad("'" + field + "' is not a string");
            }
            return v.asText();
        }

        long count(JsonNode node, String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return 0;
            }
            if (!v.canConvertToExactIntegral() || !v.canConvertToLong() || v.asLong() < 0) {
                throw bad("'" + field + "' is not a count");
            }
            return v.asLong();
        }

        long size(JsonNode node, String field, String path) {
            JsonNode v = node.get(field);
            if (v == null || !v.canConvertToExactIntegral() || !v.canConvertToLong() || v.asLong() < 0) {
                throw bad("'" + field + "' of " + path + " is not a size in bytes");
            }
            return v.asLong();
        }

        Iterable<JsonNode> array(JsonNode node, String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return List.of();
            }
            if (!v.isArray()) {
                throw bad("'" + field + "' is not a list");
            }
            return v;
        }

        List<String> strings(JsonNode node, String field) {
            List<String> out = new ArrayList<>();
            for (JsonNode n : array(node, field)) {
                if (!n.isTextual()) {
                    throw bad("'" + field + "' holds something other than strings");
                }
                out.add(n.asText());
            }
            return out;
        }
    }
}

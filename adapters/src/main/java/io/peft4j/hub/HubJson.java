package io.peft4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Reads the Hub's JSON answers into the value types. */
final class HubJson {

    private static final List<String> RELATIONS = List.of("adapter:", "finetune:", "quantized:", "merge:");

    private HubJson() {}

    static ModelSummary summary(JsonNode m) {
        List<String> tags = strings(m.path("tags"));
        String id = text(m, "id", text(m, "modelId", null));
        return new ModelSummary(id, text(m, "author", ownerOf(id)), m.path("downloads").asLong(0),
                m.path("likes").asLong(0), text(m, "lastModified", null), tags, baseModel(m, tags), gated(m));
    }

    static ModelInfo info(JsonNode m) {
        List<String> tags = strings(m.path("tags"));
        List<RepoFile> files = new ArrayList<>();
        for (JsonNode s : m.path("siblings")) {
            JsonNode lfs = s.path("lfs");
            String sha = lfs.isObject() ? text(lfs, "sha256", text(lfs, "oid", null)) : null;
            long size = s.has("size") ? s.path("size").asLong() : lfs.path("size").asLong(-1);
            files.add(new RepoFile(s.path("rfilename").asText(), size, text(s, "blobId", null), sha));
        }
        String id = text(m, "id", text(m, "modelId", null));
        return new ModelInfo(id, text(m, "sha", null), text(m, "author", ownerOf(id)), text(m, "lastModified", null),
                m.path("private").asBoolean(false), gated(m), m.path("downloads").asLong(0), m.path("likes").asLong(0),
                tags, baseModel(m, tags), text(m, "library_name", null), text(m, "pipeline_tag", null), files);
    }

    /** A tree entry, or null when it is a directory. */
    static RepoFile treeFile(JsonNode e) {
        if (!"file".equals(e.path("type").asText())) {
            return null;
        }
        JsonNode lfs = e.path("lfs");
        return new RepoFile(e.path("path").asText(), e.path("size").asLong(),
                text(e, "oid", null), lfs.isObject() ? text(lfs, "oid", null) : null);
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
        if (fromCard.isArray() && !fromCard.isEmpty()) {
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
        return id != null && id.contains("/") ? id.substring(0, id.indexOf('/')) : null;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String text(JsonNode node, String field, String fallback) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? fallback : v.asText();
    }
}

package io.peft4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A completion or chat request, checked field by field (OpenAI's names and ranges; a wrong type or
 * range is a 400 naming the field), turned into the request the Python side generates.
 *
 * @param model the requested model, the base or an adapter
 * @param stream whether the answer goes as server-sent events
 * @param python the request for {@code peft4j_bridge.serve}: prompt or messages, max_tokens,
 *     temperature, top_p, seed, stop (the adapter is added by the server)
 */
record OpenAiRequest(String model, boolean stream, ObjectNode python) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_MESSAGES = 256;
    private static final int MAX_STOPS = 4;

    /** Reads a {@code /v1/completions} ({@code chat} false) or {@code /v1/chat/completions} body. */
    static OpenAiRequest parse(JsonNode body, boolean chat, int maxTokensLimit) {
        if (body == null || !body.isObject()) {
            throw ServeException.badRequest("the request body must be a JSON object");
        }
        ObjectNode out = JSON.createObjectNode();
        String model = text(body, "model", true);
        if (chat) {
            JsonNode messages = body.get("messages");
            if (messages == null || !messages.isArray() || messages.isEmpty() || messages.size() > MAX_MESSAGES) {
                throw ServeException.badRequest("'messages' must be an array of 1 to " + MAX_MESSAGES + " messages");
            }
            ArrayNode list = out.putArray("messages");
            for (JsonNode m : messages) {
                if (!m.isObject() || !m.path("role").isTextual() || !m.path("content").isTextual()) {
                    throw ServeException.badRequest("each message needs a string 'role' and a string 'content'");
                }
                list.addObject().put("role", m.get("role").asText()).put("content", m.get("content").asText());
            }
        } else {
            JsonNode prompt = body.get("prompt");
            if (prompt != null && prompt.isArray() && prompt.size() == 1) {
                prompt = prompt.get(0);
            }
            if (prompt == null || !prompt.isTextual()) {
                throw ServeException.badRequest("'prompt' must be a string (or a list of one string)");
            }
            out.put("prompt", prompt.asText());
        }
        long maxTokens = integer(body, "max_tokens", chat ? Math.min(256, maxTokensLimit) : Math.min(16, maxTokensLimit));
        if (maxTokens < 1 || maxTokens > maxTokensLimit) {
            throw ServeException.badRequest("'max_tokens' must be between 1 and " + maxTokensLimit + ", got " + maxTokens);
        }
        out.put("max_tokens", maxTokens);
        double temperature = number(body, "temperature", 1.0);
        if (!(temperature >= 0 && temperature <= 2)) {
            throw ServeException.badRequest("'temperature' must be between 0 and 2");
        }
        out.put("temperature", temperature);
        double topP = number(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) {
            throw ServeException.badRequest("'top_p' must be in (0, 1]");
        }
        out.put("top_p", topP);
        out.put("seed", integer(body, "seed", 0));
        ArrayNode stops = out.putArray("stop");
        JsonNode stop = body.get("stop");
        if (stop != null && !stop.isNull()) {
            if (stop.isTextual()) {
                stops.add(stop.asText());
            } else if (stop.isArray() && stop.size() <= MAX_STOPS) {
                for (JsonNode s : stop) {
                    if (!s.isTextual()) {
                        throw ServeException.badRequest("'stop' must be a string or a list of up to " + MAX_STOPS + " strings");
                    }
                    stops.add(s.asText());
                }
            } else {
                throw ServeException.badRequest("'stop' must be a string or a list of up to " + MAX_STOPS + " strings");
            }
        }
        if (integer(body, "n", 1) != 1) {
            throw ServeException.badRequest("only 'n' = 1 is supported");
        }
        JsonNode stream = body.get("stream");
        if (stream != null && !stream.isNull() && !stream.isBoolean()) {
            throw ServeException.badRequest("'stream' must be a boolean");
        }
        return new OpenAiRequest(model, stream != null && stream.asBoolean(), out);
    }

    static String text(JsonNode body, String field, boolean required) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw ServeException.badRequest("'" + field + "' is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw ServeException.badRequest("'" + field + "' must be a string");
        }
        return v.asText();
    }

    private static long integer(JsonNode body, String field, long otherwise) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return otherwise;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ServeException.badRequest("'" + field + "' must be an integer");
        }
        return v.asLong();
    }

    private static double number(JsonNode body, String field, double otherwise) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return otherwise;
        }
        if (!v.isNumber()) {
            throw ServeException.badRequest("'" + field + "' must be a number");
        }
        return v.asDouble();
    }
}

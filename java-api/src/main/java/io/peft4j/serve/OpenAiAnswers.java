package io.peft4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** OpenAI's response shapes for a generated result: the whole answer, or its stream chunks. */
final class OpenAiAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();

    private OpenAiAnswers() {}

    /** A {@code text_completion} or {@code chat.completion} with usage. */
    static ObjectNode full(boolean chat, String id, String model, long created, JsonNode result) {
        ObjectNode out = head(chat ? "chat.completion" : "text_completion", id, model, created);
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
        if (chat) {
            choice.putObject("message").put("role", "assistant").put("content", result.path("text").asText());
        } else {
            choice.put("text", result.path("text").asText()).putNull("logprobs");
        }
        choice.put("finish_reason", result.path("finish_reason").asText());
        int prompt = result.path("prompt_tokens").asInt();
        int completion = result.path("new_tokens").asInt();
        out.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
        return out;
    }

    /** The stream: (chat: a role chunk,) the text, a last chunk with the finish reason. */
    static List<ObjectNode> chunks(boolean chat, String id, String model, long created, JsonNode result) {
        String object = chat ? "chat.completion.chunk" : "text_completion";
        String text = result.path("text").asText();
        String finish = result.path("finish_reason").asText();
        if (!chat) {
            return List.of(completionChunk(id, model, created, text, null), completionChunk(id, model, created, "", finish));
        }
        ObjectNode role = head(object, id, model, created);
        role.putArray("choices").addObject().put("index", 0).putNull("finish_reason").putObject("delta").put("role", "assistant").put("content", "");
        ObjectNode content = head(object, id, model, created);
        content.putArray("choices").addObject().put("index", 0).putNull("finish_reason").putObject("delta").put("content", text);
        ObjectNode last = head(object, id, model, created);
        last.putArray("choices").addObject().put("index", 0).put("finish_reason", finish).putObject("delta");
        return List.of(role, content, last);
    }

    private static ObjectNode completionChunk(String id, String model, long created, String text, String finish) {
        ObjectNode chunk = head("text_completion", id, model, created);
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0).put("text", text).putNull("logprobs");
        if (finish == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finish);
        }
        return chunk;
    }

    private static ObjectNode head(String object, String id, String model, long created) {
        return JSON.createObjectNode().put("id", id).put("object", object).put("created", created).put("model", model);
    }
}

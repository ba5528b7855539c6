package io.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.StreamingResponseHandler;
import dev.langchain4j.model.catalog.ModelDescription;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiLanguageModel;
import dev.langchain4j.model.openai.OpenAiModelCatalog;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingLanguageModel;
import dev.langchain4j.model.output.Response;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's OpenAI module (Maven, {@code dev.langchain4j:langchain4j-open-ai}, a test dependency
 * only) lists the models, completes, chats and streams against the server on loopback, for an adapter
 * and for the base; each answer must equal the server's own greedy answer to the same prompt
 * ({@link AdapterClient}, plain HTTP), and an adapter must answer differently from the base.
 */
class LangChain4jClientTest {

    private static final String PROMPT = "The quick brown fox";
    private static final String MESSAGE = "hi";
    /** The server's default {@code max_tokens} of a completion: LangChain4j's language models do not send one. */
    private static final int COMPLETION_DEFAULT_TOKENS = 16;
    private static final int CHAT_TOKENS = 5;
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private static AdapterServer server;
    private static String baseUrl;

    @BeforeAll
    static void start() throws Exception {
        server = AdapterServer.start(ServeOptions.of(ServeFixtures.base(), Map.of("a0", ServeFixtures.adapter(0), "a2", ServeFixtures.adapter(2))).withPort(0));
        baseUrl = server.address() + "/v1";
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theModelCatalogListsTheBaseAndEveryAdapter() {
        OpenAiModelCatalog catalog = OpenAiModelCatalog.builder().baseUrl(baseUrl).apiKey("unused").readTimeout(TIMEOUT).build();
        Set<String> names = catalog.listModels().stream().map(ModelDescription::name).collect(Collectors.toSet());
        assertEquals(Set.of(server.baseName(), "a0", "a2"), names);
    }

    @Test
    void completionsAndTheirStreamEqualTheServersGreedyAnswerForAnAdapterAndTheBase() throws Exception {
        AdapterClient reference = new AdapterClient(server.address());
        String adapterAnswer = null;
        for (String model : new String[] {"a2", server.baseName()}) {
            String expected = reference.complete(model, PROMPT, COMPLETION_DEFAULT_TOKENS);
            Response<String> completed = OpenAiLanguageModel.builder().baseUrl(baseUrl).apiKey("unused").modelName(model)
                    .temperature(0.0).timeout(TIMEOUT).maxRetries(0).build().generate(PROMPT);
            assertEquals(expected, completed.content(), model);
            assertTrue(completed.tokenUsage().outputTokenCount() > 0, model);

            CompletableFuture<String> streamed = new CompletableFuture<>();
            StringBuilder pieces = new StringBuilder();
            OpenAiStreamingLanguageModel.builder().baseUrl(baseUrl).apiKey("unused").modelName(model).temperature(0.0).timeout(TIMEOUT).build()
                    .generate(PROMPT, new StreamingResponseHandler<>() {
                        @Override
                        public void onNext(String token) {
                            pieces.append(token);
                        }

                        @Override
                        public void onComplete(Response<String> response) {
                            streamed.complete(pieces.toString());
                        }

                        @Override
                        public void onError(Throwable error) {
                            streamed.completeExceptionally(error);
                        }
                    });
            assertEquals(expected, streamed.get(TIMEOUT.toMinutes(), TimeUnit.MINUTES), model);
            if (adapterAnswer == null) {
                adapterAnswer = expected;
            } else {
                assertNotEquals(adapterAnswer, expected, "the adapter's answer is not the base's: the model name was routed");
            }
        }
    }

    @Test
    void chatAndItsStreamEqualTheServersGreedyAnswerForAnAdapterAndTheBase() throws Exception {
        AdapterClient reference = new AdapterClient(server.address());
        for (String model : new String[] {"a2", server.baseName()}) {
            String expected = reference.chat(model, MESSAGE, CHAT_TOKENS);
            OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName(model)
                    .temperature(0.0).maxTokens(CHAT_TOKENS).timeout(TIMEOUT).maxRetries(0).build();
            assertEquals(expected, chat.chat(MESSAGE), model);

            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            StringBuilder pieces = new StringBuilder();
            OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName(model).temperature(0.0).maxTokens(CHAT_TOKENS)
                    .timeout(TIMEOUT).build().chat(MESSAGE, new StreamingChatResponseHandler() {
                        @Override
                        public void onPartialResponse(String piece) {
                            pieces.append(piece);
                        }

                        @Override
                        public void onCompleteResponse(ChatResponse response) {
                            done.complete(response);
                        }

                        @Override
                        public void onError(Throwable error) {
                            done.completeExceptionally(error);
                        }
                    });
            ChatResponse response = done.get(TIMEOUT.toMinutes(), TimeUnit.MINUTES);
            assertEquals(expected, pieces.toString(), model);
            assertEquals(expected, response.aiMessage().text(), model);
        }
    }

    @Test
    void anUnknownModelIsLangChain4jsModelNotFoundException() {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName("no-such-adapter")
                .maxTokens(2).timeout(TIMEOUT).maxRetries(0).build();
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> chat.chat(MESSAGE));
        assertTrue(e.getMessage().contains("no-such-adapter"), e.getMessage());
    }
}

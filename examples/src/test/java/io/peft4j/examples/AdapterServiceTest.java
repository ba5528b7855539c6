package io.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.GenerateOptions;
import io.peft4j.Peft;
import io.peft4j.junit.PeftTest;
import io.peft4j.junit.TinyModels;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The service on an ephemeral port with the tiny model and two adapters trained here. */
@PeftTest
class AdapterServiceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String PROMPT = "Greet alice:";

    static Path base;
    static Path cats;
    static Path dogs;
    static AdapterService service;

    @BeforeAll
    static void start(TinyModels tiny) throws Exception {
        base = tiny.llama();
        cats = ExampleAdapters.cats(tiny);
        dogs = ExampleAdapters.dogs(tiny);
        service = AdapterService.start(base, Map.of("cats", cats, "dogs", dogs), 0);
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    @Test
    void eachRequestGetsItsOwnAdaptersOutputSameAsPeftGenerateDirectly() throws Exception {
        JsonNode cat = post("{\"adapter\": \"cats\", \"prompt\": \"" + PROMPT + "\", \"max_new_tokens\": 8}");
        JsonNode dog = post("{\"adapter\": \"dogs\", \"prompt\": \"" + PROMPT + "\", \"max_new_tokens\": 8}");
        JsonNode bare = post("{\"prompt\": \"" + PROMPT + "\", \"max_new_tokens\": 8}");
        GenerateOptions greedy = GenerateOptions.defaults().withMaxNewTokens(8);

        assertEquals("cats", cat.get("adapter").asText());
        assertEquals(Peft.generate(base, List.of(cats), PROMPT, greedy).text(), cat.get("text").asText());
        assertEquals(Peft.generate(base, List.of(dogs), PROMPT, greedy).text(), dog.get("text").asText());
        assertEquals(Peft.generate(base, List.of(), PROMPT, greedy).text(), bare.get("text").asText());
        assertNotEquals(cat.get("text").asText(), dog.get("text").asText());
        assertTrue(cat.get("text").asText().contains("cat"), cat.toString());
        assertTrue(dog.get("text").asText().contains("dog"), dog.toString());
        assertEquals(8, cat.get("new_tokens").asInt());
        // asking again after the other adapter gives the same answer: switching adapters leaves no trace
        assertEquals(cat.get("text"), post("{\"adapter\": \"cats\", \"prompt\": \"" + PROMPT + "\", \"max_new_tokens\": 8}").get("text"));
    }

    @Test
    void unknownAdapterIs404AndMalformedRequestsAre400() throws Exception {
        HttpResponse<String> missing = send("{\"adapter\": \"nope\", \"prompt\": \"hi\"}");
        assertEquals(404, missing.statusCode());
        assertEquals("application/json", missing.headers().firstValue("Content-Type").orElse(""));
        assertEquals("unknown adapter 'nope'; served: cats, dogs", JSON.readTree(missing.body()).get("error").asText());

        assertEquals(400, send("not json").statusCode());
        assertEquals(400, send("{\"adapter\": \"cats\"}").statusCode());
        JsonNode listed = JSON.readTree(HTTP.send(HttpRequest.newBuilder(service.address().resolve("/adapters")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertEquals(cats.toAbsolutePath().normalize().toString(), listed.get("adapters").get("cats").asText());
    }

    private static JsonNode post(String body) throws Exception {
        HttpResponse<String> response = send(body);
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private static HttpResponse<String> send(String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(service.address().resolve("/generate"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}

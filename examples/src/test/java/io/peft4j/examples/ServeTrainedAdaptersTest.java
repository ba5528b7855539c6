package io.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.GenerateOptions;
import io.peft4j.Peft;
import io.peft4j.junit.PeftTest;
import io.peft4j.junit.TinyModels;
import io.peft4j.serve.AdapterClient;
import io.peft4j.serve.AdapterServer;
import io.peft4j.serve.ServeOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the retired {@code AdapterService} example showed, now through {@code peft4j serve}'s
 * server and client: two adapters trained here, each served under its name on one base, answer
 * what {@code Peft.generate} answers with that adapter alone, and keep their skills.
 */
@PeftTest
class ServeTrainedAdaptersTest {

    private static final String PROMPT = "Greet alice:";

    @Test
    void eachModelNameGetsItsOwnAdaptersOutputSameAsPeftGenerate(TinyModels tiny) throws Exception {
        Path base = tiny.llama();
        Path cats = ExampleAdapters.cats(tiny);
        Path dogs = ExampleAdapters.dogs(tiny);
        try (AdapterServer server = AdapterServer.start(ServeOptions.of(base, Map.of("cats", cats, "dogs", dogs)).withPort(0))) {
            AdapterClient client = new AdapterClient(server.address());
            GenerateOptions greedy = GenerateOptions.defaults().withMaxNewTokens(8);
            String cat = client.complete("cats", PROMPT, 8);
            String dog = client.complete("dogs", PROMPT, 8);
            assertEquals(Peft.generate(base, List.of(cats), PROMPT, greedy).text(), cat);
            assertEquals(Peft.generate(base, List.of(dogs), PROMPT, greedy).text(), dog);
            assertEquals(Peft.generate(base, List.of(), PROMPT, greedy).text(), client.complete(server.baseName(), PROMPT, 8));
            assertNotEquals(cat, dog);
            assertTrue(cat.contains("cat"), cat);
            assertTrue(dog.contains("dog"), dog);
        }
    }
}

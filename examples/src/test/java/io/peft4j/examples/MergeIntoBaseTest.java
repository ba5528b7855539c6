package io.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.GenerateOptions;
import io.peft4j.Peft;
import io.peft4j.junit.PeftTest;
import io.peft4j.junit.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MergeIntoBase on the tiny model: the merged model alone generates what base + adapter does. */
@PeftTest
class MergeIntoBaseTest {

    @Test
    void mergedModelGeneratesTheSameGreedyTextAsBasePlusAdapter(TinyModels tiny, @TempDir Path dir) {
        Path adapter = ExampleAdapters.cats(tiny);
        String prompt = "Greet alice:";

        MergeIntoBase.Outcome outcome = MergeIntoBase.mergeAndCheck(tiny.llama(), adapter, dir.resolve("merged"), prompt);

        assertTrue(outcome.same(), outcome.toString());
        assertEquals(outcome.withAdapter(), outcome.merged());
        assertTrue(outcome.report().changed() > 0, "the adapter changed base tensors");
        String bare = Peft.generate(tiny.llama(), List.of(), prompt, GenerateOptions.defaults().withMaxNewTokens(24)).text();
        assertNotEquals(bare, outcome.merged(), "the merge carries the adapter's effect, not just the base");
    }
}

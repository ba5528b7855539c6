package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A base model named by Hub id is kept as named when the config is built: no network I/O in a builder. */
class TrainConfigHubIdTest {

    @TempDir Path dir;
    private Path data;

    @BeforeEach
    void files() throws IOException {
        data = Files.writeString(dir.resolve("d.jsonl"), "{\"text\": \"x\"}\n");
    }

    @Test
    void aHubIdIsKeptUntilTheJobRuns() {
        // Resolving would need the Hub, which this test cannot reach (and the id does not exist there).
        TrainConfig config = TrainConfig.builder().baseModel("peft4j-tests/no-such-model@v1").data(data)
                .outputDir(dir.resolve("out")).build();
        assertEquals(Path.of("peft4j-tests/no-such-model@v1"), config.baseModel());
        assertEquals(config, config.toBuilder().build());
    }

    @Test
    void aMissingLocalFolderIsStillRefusedWhenBuilt() {
        TrainConfigException e = assertThrows(TrainConfigException.class, () -> TrainConfig.builder()
                .baseModel(dir.resolve("nope").toString()).data(data).outputDir(dir.resolve("out")).build());
        assertEquals(dir.resolve("nope") + ": base model directory not found", e.getMessage());
    }
}

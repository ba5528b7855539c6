package io.peft4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.peft4j.data.Dataset;
import io.peft4j.data.TokenCounter;
import io.peft4j.estimate.ModelShapes;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.ShardedSafetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every reader refuses a FIFO (which would block it forever), a directory and an oversized config, in one line. */
class RegularFilesTest {

    @TempDir
    Path dir;

    @Test
    void everyReaderRefusesAFifoInsteadOfWaitingOnIt() throws Exception {
        Map<String, Consumer<Path>> readers = new LinkedHashMap<>();
        readers.put("model.safetensors", SafetensorsFile::open);
        readers.put("model.safetensors.index.json", ShardedSafetensors::open);
        readers.put("adapter_config.json", AdapterConfig::read);
        readers.put("config.json", ModelShapes::fromConfigFile);
        readers.put("train.jsonl", file -> Dataset.read(file).close());
        readers.put("tokenizer.json", file -> TokenCounter.load(file).close());
        for (var reader : readers.entrySet()) {
            Path fifo = dir.resolve(reader.getKey());
            assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor(), "mkfifo");
            Peft4jException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> assertThrows(Peft4jException.class, () -> reader.getValue().accept(fifo)), reader.getKey());
            assertEquals(fifo + ": not a regular file (a FIFO, socket or device); peft4j reads only regular files",
                    e.getMessage());
        }
    }

    @Test
    void aSymbolicLinkToARegularFileIsARegularFile() throws IOException {
        Path target = Files.writeString(dir.resolve("target.json"), "{}");
        Path link = Files.createSymbolicLink(dir.resolve("link.json"), target);
        assertEquals(2, RegularFiles.require(link));
        assertEquals("{}", RegularFiles.readConfig(link));
    }

    @Test
    void directoriesAndOversizedConfigsAreRefused() throws IOException {
        assertEquals(dir + ": is a directory, not a file",
                assertThrows(Peft4jException.class, () -> RegularFiles.require(dir)).getMessage());
        Path big = dir.resolve("config.json");
        try (var file = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(RegularFiles.MAX_CONFIG_BYTES + 1); // sparse: no disk used
        }
        assertEquals(big + ": 67108865 bytes, larger than the 67108864 a configuration file may have",
                assertThrows(Peft4jException.class, () -> RegularFiles.readConfig(big)).getMessage());
    }
}

package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.TinyModel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j serve} as a real process: it answers on loopback, stops on SIGTERM, refuses a bad adapter in one line. */
class ServeCommandTest {

    @Test
    void servesTheBaseOnLoopbackAndStopsOnTerm(@TempDir Path tmp) throws Exception {
        Path base = TinyModel.llama().write(tmp.resolve("tiny"));
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "--base", base.toString(), "--port", "0"));
        Process process = new ProcessBuilder(command).redirectError(tmp.resolve("err.txt").toFile()).start();
        try {
            String first = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertTrue(first != null && first.startsWith("peft4j serve: http://127.0.0.1:"), first + " / " + Files.readString(tmp.resolve("err.txt")));
            URI v1 = URI.create(first.split(" ")[2]);
            HttpClient http = HttpClient.newHttpClient();
            String models = http.send(HttpRequest.newBuilder(URI.create(v1 + "/models")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(models.contains("\"id\":\"tiny\""), models);
            HttpResponse<String> completion = http.send(HttpRequest.newBuilder(URI.create(v1 + "/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"tiny\", \"prompt\": \"Hello\", \"max_tokens\": 3, \"temperature\": 0}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, completion.statusCode(), completion.body());
            process.destroy();
            assertTrue(process.waitFor(2, TimeUnit.MINUTES), "stops on SIGTERM");
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void aBadAdapterIsOneLineAndExitCode1(@TempDir Path tmp) throws Exception {
        Path base = TinyModel.llama().write(tmp.resolve("tiny"));
        Path notAdapter = Files.createDirectories(tmp.resolve("empty"));
        CliRun run = CliRun.process(Duration.ofMinutes(3), List.of(), "serve", "--base", base.toString(), "--adapter", "x=" + notAdapter);
        assertEquals(1, run.exitCode(), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains(notAdapter + ": not a local adapter folder"), run.err());
    }
}

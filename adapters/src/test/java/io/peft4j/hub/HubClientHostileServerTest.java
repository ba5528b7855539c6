package io.peft4j.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.hub.testing.Fault;
import io.peft4j.hub.testing.LocalHub;
import io.peft4j.hub.testing.RecordedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Hub that misbehaves: endless pages, trickled answers, huge waits asked for, wrong answers to
 * {@code Range}, oversized or deep JSON, answers from something that is not a Hub, a partial file
 * left by a killed download. Every call must end, in bounded time, with one line that says what
 * happened, or with the right bytes.
 */
@Timeout(60)
class HubClientHostileServerTest {

    private static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(100));

    @TempDir Path cache;
    private LocalHub hub;
    private byte[] weights;
    private byte[] text;
    private String commit;

    @BeforeEach
    void start() throws Exception {
        hub = LocalHub.start();
        weights = new byte[2_000_000];
        new Random(11).nextBytes(weights);
        text = "0123456789abcdef\n".repeat(60_000).getBytes(StandardCharsets.UTF_8); // about 1 MB, not LFS
        commit = hub.createRepo("acme/lora").adapterOf("acme/base")
                .file("adapter_config.json", "{\"r\": 8}".getBytes(StandardCharsets.UTF_8))
                .file("adapter_model.safetensors", weights)
                .file("notes.txt", text)
                .commit("first");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private HubClient.Builder client() {
        return HubClient.builder().environment(Map.of()).token(null).endpoint(hub.endpoint()).cacheDir(cache).retryPolicy(FAST);
    }

    private List<RecordedRequest> gets(String pathPart) {
        return hub.requests().stream().filter(r -> r.method().equals("GET") && r.path().contains(pathPart)).toList();
    }

    // ---- 1. pagination -----------------------------------------------------------------------------

    @Test
    void endlessPaginationStopsAfterThePageLimit() {
        hub.inject(Fault.answer("/api/models", Integer.MAX_VALUE, 200,
                Map.of("Link", "<" + hub.endpoint() + "/api/models?cursor=again>; rel=\"next\"", "Content-Type", "application/json"),
                "[{\"id\": \"acme/lora\"}]".getBytes(StandardCharsets.UTF_8)));
        try (HubClient client = client().build()) {
            HubHttpException e = assertThrows(HubHttpException.class, () -> client.search(SearchQuery.builder().build()).toList());
            assertTrue(e.getMessage().contains("still had more pages after " + HubClient.MAX_PAGES), e.getMessage());
        }
        assertEquals(HubClient.MAX_PAGES, gets("/api/models").size());
    }

    @Test
    void endlessPaginationStopsAtTheTimeLimit() {
        hub.inject(Fault.answer("/api/models", Integer.MAX_VALUE, 200,
                Map.of("Link", "<" + hub.endpoint() + "/api/models?cursor=again>; rel=\"next\""),
                "[{\"id\": \"acme/lora\"}]".getBytes(StandardCharsets.UTF_8)).after(100));
        long start;
        try (HubClient client = client().timeout(Duration.ofSeconds(1)).build()) {
            start = System.nanoTime();
            HubHttpException e = assertThrows(HubHttpException.class, () -> client.search(SearchQuery.builder().build()).toList());
            assertTrue(e.getMessage().contains("within 1 s"), e.getMessage());
        }
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "stopped at the time limit");
        assertTrue(gets("/api/models").size() < 20, "about ten pages of 100 ms fit in one second");
    }

    // ---- 2. an overall time limit per call ----------------------------------------------------------

    @Test
    void aTrickledAnswerEndsAtTheTimeLimit() {
        hub.inject(Fault.trickle("/api/models", 300, Integer.MAX_VALUE));
        long start;
        try (HubClient client = client().timeout(Duration.ofSeconds(2)).build()) {
            start = System.nanoTime();
            HubHttpException e = assertThrows(HubHttpException.class,
                    () -> client.search(SearchQuery.builder().build()).toList());
            assertEquals("no complete answer from " + hub.endpoint() + "/api/models within 2 s"
                    + " (the Hub client's time limit for one call, retries included)", e.getMessage());
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertTrue(seconds < 10, "took " + seconds + " s");
    }

    @Test
    void aTrickledDownloadIsAbandonedAsStalled() {
        hub.inject(Fault.trickle("/resolve/main/notes.txt", 100, 1));
        try (HubClient client = client().stallTimeout(Duration.ofMillis(700)).build()) {
            HubHttpException e = assertThrows(HubHttpException.class, () -> client.download("acme/lora", "notes.txt", "main"));
            assertTrue(e.getMessage().startsWith("download of notes.txt from acme/lora stalled: "), e.getMessage());
        }
        assertEquals(1, gets("/resolve/main/notes.txt").size(), "a stall is not retried");
    }

    // ---- 3. Retry-After ----------------------------------------------------------------------------

    @Test
    void aRetryAfterBeyondTheLongestWaitFailsAtOnceSayingSo() {
        hub.inject(Fault.status("/api/models/acme/lora", 429, 100_000, 10));
        long start;
        try (HubClient client = client().retryPolicy(RetryPolicy.DEFAULT).build()) {
            start = System.nanoTime();
            HubHttpException e = assertThrows(HubHttpException.class, () -> client.modelInfo("acme/lora", "main"));
            assertEquals(429, e.status());
            assertTrue(e.getMessage().endsWith("the server asked to wait 100000 s before trying again (Retry-After)"), e.getMessage());
        }
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "no wait at all");
        assertEquals(1, hub.requests().size());
    }

    @Test
    void aRetryAfterThatDoesNotFitInTheTimeLimitFailsAtOnce() {
        hub.inject(Fault.status("/api/models/acme/lora", 503, 5, 10));
        try (HubClient client = client().retryPolicy(RetryPolicy.DEFAULT).timeout(Duration.ofSeconds(3)).build()) {
            HubHttpException e = assertThrows(HubHttpException.class, () -> client.modelInfo("acme/lora", "main"));
            assertTrue(e.getMessage().contains("asked to wait 5 s"), e.getMessage());
        }
        assertEquals(1, hub.requests().size());
    }

    // ---- 4. resumed downloads of regular files -------------------------------------------------------

    @Test
    void aResumeAnsweredFromTheFirstByteStartsOver() throws IOException {
        hub.inject(Fault.dropAfter("/resolve/main/notes.txt", 300_000));
        hub.inject(Fault.rangeFromStart("/resolve/main/notes.txt"));
        try (HubClient client = client().build()) {
            assertArrayEquals(text, Files.readAllBytes(client.download("acme/lora", "notes.txt", "main")));
        }
        List<String> ranges = gets("/resolve/main/notes.txt").stream().map(RecordedRequest::range).filter(r -> r != null).toList();
        assertEquals(1, ranges.size(), "one resume: " + ranges);
        assertTrue(ranges.getFirst().matches("bytes=[1-9][0-9]*-"), ranges.getFirst());
    }

    @Test
    void aResumeWhoseBytesDoNotMatchItsContentRangeIsRefusedAndNothingIsCached() throws IOException {
        hub.inject(Fault.dropAfter("/resolve/main/notes.txt", 300_000));
        hub.inject(Fault.rangeMislabeled("/resolve/main/notes.txt"));
        try (HubClient client = client().build()) {
            HubHttpException e = assertThrows(HubHttpException.class, () -> client.download("acme/lora", "notes.txt", "main"));
            assertTrue(e.getMessage().startsWith("download of notes.txt from acme/lora is corrupt: git blob sha1 "), e.getMessage());
        }
        try (Stream<Path> files = Files.walk(cache.resolve("models--acme--lora"))) {
            assertEquals(List.of(), files.filter(Files::isRegularFile).filter(p -> p.toString().contains("blobs")).toList());
        }
    }

    // ---- 5. size and depth of JSON answers ------------------------------------------------------------

    @Test
    void anOversizedAnswerIsRefusedWithoutReadingItAll() {
        byte[] huge = new byte[(int) HubHttp.MAX_JSON_BYTES + 1024];
        Arrays.fill(huge, (byte) ' ');
        huge[0] = '[';
        huge[huge.length - 1] = ']';
        hub.inject(Fault.answer("/api/models", 1, 200, Map.of(), huge));
        try (HubClient client = client().build()) {
            HubHttpException e = assertThrows(HubHttpException.class, () -> client.search(SearchQuery.builder().build()).toList());
            assertEquals("the answer from " + hub.endpoint() + "/api/models is more than the " + HubHttp.MAX_JSON_BYTES
                    + " bytes a Hub answer may have", e.getMessage());
        }
    }

    @Test
    void deeplyNestedJsonIsOneLine() {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        hub.inject(Fault.answer("/api/models", 1, 200, Map.of(), deep.getBytes(StandardCharsets.UTF_8)));
        try (HubClient client = client().build()) {
            HubHttpException e = assertThrows(HubHttpException.class, () -> client.search(SearchQuery.builder().build()).toList());
            assertTrue(e.getMessage().startsWith("the answer from " + hub.endpoint() + "/api/models is not usable JSON: "), e.getMessage());
            assertTrue(e.getMessage().contains("" + HubHttp.MAX_JSON_DEPTH), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
            assertFalse(e.getMessage().contains("Source:"), e.getMessage());
        }
    }

    // ---- 7. answers that are not the Hub's -----------------------------------------------------------

    @Test
    void infoRedirectedToSomethingElseIsRefused() {
        hub.inject(Fault.answer("/api/models/acme/lora", 1, 302, Map.of("Location", hub.endpoint() + "/landing"), new byte[0]));
        hub.inject(Fault.answer("/landing", 1, 200, Map.of("Content-Type", "application/json"),
                "{\"status\": \"ok\"}".getBytes(StandardCharsets.UTF_8)));
        try (HubClient client = client().build()) {
            HubHttpException e = assertThrows(HubHttpException.class, () -> client.modelInfo("acme/lora", "main"));
            assertEquals("the answer from " + hub.endpoint() + "/landing is not model information from a Hugging Face Hub:"
                    + " 'id' is missing", e.getMessage());
        }
    }

    @Test
    void infoWithoutShaNamesTheField() {
        hub.inject(Fault.answer("/api/models/acme/lora", 1, 200, Map.of(),
                "{\"id\": \"acme/lora\", \"siblings\": []}".getBytes(StandardCharsets.UTF_8)));
        try (HubClient client = client().build()) {
            HubHttpException e = assertThrows(HubHttpException.class, () -> client.modelInfo("acme/lora", "main"));
            assertTrue(e.getMessage().endsWith("is not model information from a Hugging Face Hub: 'sha' is missing"), e.getMessage());
        }
    }

    @Test
    void aBadLinkedSizeNamesTheHeader() {
        hub.inject(Fault.answer("/resolve/main/adapter_model.safetensors", 1, 302, Map.of(
                "X-Repo-Commit", commit, "X-Linked-Etag", "\"" + "a".repeat(64) + "\"", "X-Linked-Size", "abc",
                "Location", hub.cdnBase() + "/lfs/" + "a".repeat(64)), new byte[0]));
        try (HubClient client = client().build()) {
            HubHttpException e = assertThrows(HubHttpException.class,
                    () -> client.download("acme/lora", "adapter_model.safetensors", "main"));
            assertEquals("the answer for adapter_model.safetensors of acme/lora has an unusable X-Linked-Size header 'abc'"
                    + " (expected a size in bytes)", e.getMessage());
        }
    }

    // ---- 6. partial files of killed downloads -------------------------------------------------------

    @Test
    void aPartialFileOfAKilledDownloadIsResumedAndStaleOnesRemoved() throws Exception {
        Path blobs = Files.createDirectories(cache.resolve("models--acme--lora/blobs"));
        String sha = HubClientDownloadTest.sha256(weights);
        Path killed = Files.write(blobs.resolve(sha + ".0badc0de.incomplete"), Arrays.copyOf(weights, 700_000));
        Path otherStale = Files.write(blobs.resolve("b".repeat(64) + ".12345678.incomplete"), new byte[10]);
        Path running = Files.write(blobs.resolve(sha + ".feedf00d.incomplete"), new byte[10]);
        FileTime twoHoursAgo = FileTime.from(Instant.now().minus(Duration.ofHours(2)));
        Files.setLastModifiedTime(killed, twoHoursAgo);
        Files.setLastModifiedTime(otherStale, twoHoursAgo);

        try (HubClient client = client().build()) {
            assertArrayEquals(weights, Files.readAllBytes(client.download("acme/lora", "adapter_model.safetensors", "main")));
        }
        assertEquals(List.of("bytes=700000-"), gets("/lfs/").stream().map(RecordedRequest::range).toList(), "resumed, not restarted");
        assertFalse(Files.exists(killed));
        assertFalse(Files.exists(otherStale), "a stale partial file of another blob is removed");
        assertTrue(Files.exists(running), "a partial file touched within the hour may belong to a running download");
    }

    @Test
    void aPartialFileThatIsNotThePrefixIsDownloadedAgain() throws Exception {
        Path blobs = Files.createDirectories(cache.resolve("models--acme--lora/blobs"));
        Path killed = Files.write(blobs.resolve(HubClientDownloadTest.sha256(weights) + ".0badc0de.incomplete"), new byte[500_000]);
        Files.setLastModifiedTime(killed, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        try (HubClient client = client().build()) {
            assertArrayEquals(weights, Files.readAllBytes(client.download("acme/lora", "adapter_model.safetensors", "main")));
        }
        assertEquals(Arrays.asList("bytes=500000-", null), gets("/lfs/").stream().map(RecordedRequest::range).toList());
    }

    // ---- the client's life ---------------------------------------------------------------------------

    @Test
    void aClosedClientRefusesRequests() {
        HubClient client = client().build();
        client.close();
        HubException e = assertThrows(HubException.class, () -> client.modelInfo("acme/lora", "main"));
        assertEquals("this HubClient is closed", e.getMessage());
        assertEquals(List.of(), hub.requests());
    }
}

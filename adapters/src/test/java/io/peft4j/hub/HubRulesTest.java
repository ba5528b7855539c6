package io.peft4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The small rules the client shares with huggingface_hub: ids, globs, etags, settings, retries. */
class HubRulesTest {

    @Test
    void repoIdsFollowValidateRepoId() {
        assertEquals("models--meta-llama--Llama-3.2-1B", RepoId.of("meta-llama/Llama-3.2-1B").cacheFolderName());
        assertEquals("models--gpt2", RepoId.of("gpt2").cacheFolderName());
        for (String bad : List.of("a/b/c", "../x", "a--b/c", "a/b.git", "", "a b/c", "/a")) {
            assertThrows(HubException.class, () -> RepoId.of(bad), bad);
        }
    }

    @Test
    void globsMatchLikeFnmatch() {
        GlobFilter f = new GlobFilter(List.of("*.json", "weights/", "model-0000?.bin", "[!x]y.txt"));
        assertTrue(f.matches("adapter_config.json"));
        assertTrue(f.matches("sub/dir/config.json"), "* crosses / as in fnmatch");
        assertTrue(f.matches("weights/a/b.bin"));
        assertTrue(f.matches("model-00001.bin"));
        assertTrue(f.matches("ay.txt"));
        assertFalse(f.matches("xy.txt"));
        assertFalse(f.matches("adapter_model.safetensors"));
        assertTrue(new GlobFilter(List.of()).matches("anything"));
    }

    @Test
    void etagsAreNormalized() {
        assertEquals("abc", FileDownloader.normalizeEtag("W/\"abc\""));
        assertEquals("abc", FileDownloader.normalizeEtag("\"abc\""));
        assertNull(FileDownloader.normalizeEtag(null));
    }

    @Test
    void settingsComeFromTheSameVariablesAsPython(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve("token"), "hf_saved\n");
        HubSettings s = new HubSettings(Map.of("HF_HOME", home.toString(), "HF_HUB_OFFLINE", "yes"));
        assertEquals(home.resolve("hub"), s.cacheDir());
        assertEquals("hf_saved", s.token());
        assertTrue(s.offline());
        assertEquals("https://huggingface.co", s.endpoint());
        HubSettings t = new HubSettings(Map.of("HF_HOME", home.toString(), "HF_TOKEN", "hf_env", "HF_HUB_CACHE", "/c",
                "HF_ENDPOINT", "http://127.0.0.1:9/", "HF_HUB_OFFLINE", "0"));
        assertEquals("hf_env", t.token());
        assertEquals(Path.of("/c"), t.cacheDir());
        assertEquals("http://127.0.0.1:9", t.endpoint());
        assertFalse(t.offline());
        assertEquals(Path.of("/x/huggingface/hub"), new HubSettings(Map.of("XDG_CACHE_HOME", "/x")).cacheDir());
        assertEquals(Duration.ofSeconds(10), s.downloadTimeout(), "huggingface_hub's DEFAULT_DOWNLOAD_TIMEOUT");
        assertEquals(Duration.ofSeconds(42), new HubSettings(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", "42")).downloadTimeout());
        HubException bad = assertThrows(HubException.class, () -> new HubSettings(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", "abc")).downloadTimeout());
        assertTrue(bad.getMessage().startsWith("HF_HUB_DOWNLOAD_TIMEOUT must be"), bad.getMessage());
    }

    @Test
    void retryDelaysDoubleAsInHuggingfaceHub() {
        assertEquals(5, RetryPolicy.DEFAULT.maxRetries());
        assertEquals(Duration.ofSeconds(1), RetryPolicy.DEFAULT.backoff(1));
        assertEquals(Duration.ofSeconds(4), RetryPolicy.DEFAULT.backoff(3));
        assertEquals(Duration.ofSeconds(8), RetryPolicy.DEFAULT.backoff(9));
        assertEquals(Duration.ofSeconds(60), RetryPolicy.DEFAULT.maxRetryAfter());
        assertEquals(30L, RetryInterceptor.retryAfterSeconds(" 30 "));
        assertNull(RetryInterceptor.retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT"));
        assertNull(RetryInterceptor.retryAfterSeconds("-5"));
        assertNull(RetryInterceptor.retryAfterSeconds("99999999999999999999999"));
        assertTrue(RetryPolicy.isRetryable(429) && RetryPolicy.isRetryable(503) && !RetryPolicy.isRetryable(404));
    }
}

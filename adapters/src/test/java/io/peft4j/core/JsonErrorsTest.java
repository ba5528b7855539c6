package io.peft4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Jackson's errors told by position and kind, never quoting the input or Jackson's internals. */
class JsonErrorsTest {

    private static String describe(String json) {
        return JsonErrors.describe(assertThrows(JsonProcessingException.class, () -> new ObjectMapper().readTree(json)));
    }

    @Test
    void neverQuotesTheInput() {
        assertEquals("unrecognized token at line 1, column 1", describe("root:x:0:0:root:/root:/bin/bash\n"));
        assertEquals("unrecognized token at line 1, column 1", describe("ghp_secretTokenValue"));
        assertEquals("unexpected character at line 2, column 1", describe("{\n'single': 1}"));
        assertEquals("duplicate field 'k' at line 1, column 13", JsonErrors.describe(assertThrows(JsonProcessingException.class,
                () -> new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                        .readTree("{\"k\": 1, \"k\": 2}"))));
    }

    @Test
    void leavesOutJacksonsSourceDescription() {
        assertEquals("unexpected end of input at line 1, column 11", describe("{\"a\": [1,2"));
        assertEquals("document nesting depth (1001) exceeds the maximum allowed (1000)",
                describe("[".repeat(2000)));
    }
}

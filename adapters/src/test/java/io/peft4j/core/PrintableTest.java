package io.peft4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Terminal-safe text: control characters and bidi controls escaped, everything else kept. */
class PrintableTest {

    @Test
    void escapesWhatATerminalWouldObey() {
        assertEquals("a\\x1b[2Jb\\nc\\rd\\te\\x7f\\x9b31m\\u202egnp.exe\\u2028",
                Printable.of("a\u001b[2Jb\nc\rd\te\u007f\u009b31m\u202egnp.exe\u2028"));
    }

    @Test
    void keepsOrdinaryTextAsIs() {
        String text = "model.layers.0.q_proj é 权 😀 \\x1b";
        assertSame(text, Printable.of(text));
        assertEquals("null", Printable.of(null));
    }

    @Test
    void jsonOutputEscapesTheSameCharacters() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        mapper.getFactory().setCharacterEscapes(Printable.jsonEscapes());
        String json = mapper.writeValueAsString(Map.of("name", "a\u001bb\u009bc\u202ed\u007fé"));
        assertEquals("{\"name\":\"a\\u001Bb\\u009bc\\u202ed\\u007Fé\"}", json);
        assertEquals("a\u001bb\u009bc\u202ed\u007fé", mapper.readTree(json).get("name").asText(), "still the same string");
    }
}

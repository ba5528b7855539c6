package io.peft4j.examples.readme;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every {@code java} block of README.md is code that compiles: it appears verbatim in {@link ReadmeSnippets}. */
class ReadmeSnippetsTest {

    @Test
    void everyJavaBlockOfTheReadmeIsCompiled() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        String compiled = normalise(Files.readString(
                Path.of("src/main/java/io/peft4j/examples/readme/ReadmeSnippets.java")));
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        assertFalse(blocks.isEmpty(), "the README has Java snippets");
        for (String block : blocks) {
            assertTrue(compiled.contains(normalise(block)), "README snippet not in ReadmeSnippets.java:\n" + block);
        }
    }

    /** Leading whitespace of each line removed, so indentation does not matter. */
    private static String normalise(String code) {
        return code.lines().map(String::strip).filter(l -> !l.isEmpty()).reduce("", (a, b) -> a + b + "\n");
    }
}

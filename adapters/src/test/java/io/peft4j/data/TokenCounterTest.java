package io.peft4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.core.Peft4jException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Counting rules on a hand-written word-level tokenizer (test resources data/wordlevel): one token per
 * whitespace-separated word, {@code <s>}=0 prepended, {@code </s>}=1 is eos, unknown words are 2.
 */
class TokenCounterTest {

    static final Path WORDLEVEL = Path.of("src/test/resources/data/wordlevel");
    private static TokenCounter counter;

    @BeforeAll
    static void load() {
        counter = TokenCounter.load(WORDLEVEL);
    }

    @AfterAll
    static void close() {
        counter.close();
    }

    @Test
    void encodesWithSpecialTokensAndReadsEos() {
        assertEquals(Optional.of("</s>"), counter.eosToken());
        assertEquals(false, counter.hasChatTemplate());
        assertArrayEquals(new long[] {0, 3, 4, 5, 1}, counter.encode("a b c</s>"));
        assertEquals(List.of(List.of(0L, 3L), List.of(0L, 3L, 2L)),
                counter.encodeBatch(List.of("a", "a zz")).stream()
                        .map(ids -> java.util.Arrays.stream(ids).boxed().toList()).toList());
    }

    @Test
    void textIsSpecialTokensPlusTheEosIdLikeTheTrainer() {
        // [<s> a b c] + eos
        assertEquals(new TokenCount(0, 5, 5), counter.count(new Example.Text("a b c")));
        // the trainer appends the eos id even after a literal "</s>"
        assertEquals(new TokenCount(0, 6, 6), counter.count(new Example.Text("a b c</s>")));
    }

    @Test
    void promptWithSpecialTokensCompletionWithoutPlusEos() {
        // [<s> a b] then [c d] + eos
        assertEquals(new TokenCount(3, 3, 6), counter.count(new Example.PromptCompletion("a b", " c d")));
        assertEquals(new TokenCount(3, 2, 5), counter.count(new Example.PromptCompletion("a b", "c")));
    }

    @Test
    void preferenceCountsBothAnswersAndTheLongerSequence() {
        // prompt [<s> a], chosen [b c] + eos, rejected [d] + eos
        assertEquals(new TokenCount(2, 5, 5), counter.count(new Example.Preference("a", " b c", " d")));
    }

    @Test
    void messagesAreCountedAsChatMLContentPlusRolePlusMarkers() {
        int overhead = 1 + TokenCounter.MESSAGE_OVERHEAD_TOKENS; // every role is one word here
        Example chat = new Example.Messages(List.of(new Example.Message("system", "a"),
                new Example.Message("user", "a b"), new Example.Message("assistant", "c")));
        assertEquals(new TokenCount(3 + 2 * overhead, 1 + overhead, 4 + 3 * overhead), counter.count(chat));
    }

    @Test
    void batchCountEqualsOneByOne() {
        List<Example> mixed = List.of(new Example.Text("a b"), new Example.PromptCompletion("a", " b"),
                new Example.Preference("a", " b", " c d"),
                new Example.Messages(List.of(new Example.Message("user", "a"))), new Example.Text(""));
        assertEquals(mixed.stream().map(counter::count).toList(), counter.count(mixed));
    }

    @Test
    void missingTokenizerIsAOneLineError() {
        Path dir = Path.of("src/test/resources/data");
        Peft4jException e = assertThrows(Peft4jException.class, () -> TokenCounter.load(dir));
        assertEquals(dir.resolve("tokenizer.json") + ": no such file (a tokenizer folder must hold tokenizer.json)",
                e.getMessage());
        Path notATokenizer = WORDLEVEL.resolve("README.md");
        e = assertThrows(Peft4jException.class, () -> TokenCounter.load(notATokenizer));
        assertTrue(e.getMessage().startsWith(notATokenizer + ": cannot load tokenizer: "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }
}

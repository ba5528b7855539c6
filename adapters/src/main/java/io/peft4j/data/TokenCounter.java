package io.peft4j.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.Peft4jException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Counts the tokens of training examples with a model's own {@code tokenizer.json}, through DJL's
 * {@link HuggingFaceTokenizer} (the Rust {@code tokenizers} library, fully offline: DJL is put in
 * offline mode before it loads, so it never downloads a native build).
 *
 * <p>Counts follow TRL's SFT and DPO preparation, which {@code Peft.train} uses:
 * <ul>
 *   <li>text: {@code tokenizer(text + eos)}, special tokens added, the eos token appended as text
 *       unless the text already ends with it;</li>
 *   <li>prompt/completion: {@code tokenizer(prompt)} and {@code tokenizer(prompt + completion + eos)};
 *       the prompt is their common prefix, the completion the rest;</li>
 *   <li>preference: the same with the chosen and the rejected answer; the prompt is the shorter
 *       common prefix, the length the longer of the two sequences;</li>
 *   <li>messages: an <b>estimate</b>. Chat templates are Jinja programs this class does not run; it
 *       counts each message's content without special tokens plus {@value #MESSAGE_OVERHEAD_TOKENS}
 *       tokens per message, ChatML's {@code <|im_start|>}, role, newline, {@code <|im_end|>}, newline.
 *       Templates that add a default system prompt or longer headers render more.</li>
 * </ul>
 * The eos token is read from {@code tokenizer_config.json} (else {@code special_tokens_map.json});
 * without one nothing is appended. Truncation and padding configured in {@code tokenizer.json} are
 * turned off, as transformers does when a tokenizer is called without {@code truncation=True}.
 */
public final class TokenCounter implements AutoCloseable {

    /** Tokens counted per chat message on top of its content, see the class comment. */
    public static final int MESSAGE_OVERHEAD_TOKENS = 5;

    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final String eos;

    private TokenCounter(HuggingFaceTokenizer tokenizer, String eos) {
        this.tokenizer = tokenizer;
        this.eos = eos;
    }

    /**
     * Loads the tokenizer of a model folder (holding {@code tokenizer.json}) or a {@code tokenizer.json}
     * file directly.
     *
     * @throws Peft4jException if there is no {@code tokenizer.json} or it cannot be loaded
     */
    public static TokenCounter load(Path dirOrFile) {
        Path dir = Files.isDirectory(dirOrFile) ? dirOrFile : dirOrFile.toAbsolutePath().getParent();
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("tokenizer.json") : dirOrFile;
        if (!Files.isRegularFile(file)) {
            throw new Peft4jException(file + ": no such file (a tokenizer folder must hold tokenizer.json)");
        }
        try {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
            return new TokenCounter(tokenizer, eosToken(dir));
        } catch (IOException | RuntimeException e) {
            throw new Peft4jException(file + ": cannot load tokenizer: " + firstLine(e), e);
        }
    }

    /** The eos token appended to texts and completions, if the tokenizer has one. */
    public Optional<String> eosToken() {
        return Optional.ofNullable(eos);
    }

    /** The ids of {@code text} with the tokenizer's special tokens, as {@code tokenizer(text)["input_ids"]}. */
    public long[] encode(String text) {
        return tokenizer.encode(text, true, false).getIds();
    }

    /** The ids of each text with special tokens, tokenized in parallel by the native library. */
    public List<long[]> encodeBatch(List<String> texts) {
        return ids(tokenizer.batchEncode(texts, true, false));
    }

    /** The token counts of one example; see the class comment for the rules. */
    public TokenCount count(Example example) {
        return count(List.of(example)).getFirst();
    }

    /** The token counts of many examples, tokenized in one native batch. */
    public List<TokenCount> count(List<Example> examples) {
        List<String> withSpecial = new ArrayList<>();
        List<String> plain = new ArrayList<>();
        for (Example example : examples) {
            switch (example) {
                case Example.Text t -> withSpecial.add(withEos(t.text()));
                case Example.PromptCompletion pc -> {
                    withSpecial.add(pc.prompt());
                    withSpecial.add(pc.prompt() + withEos(pc.completion()));
                }
                case Example.Preference p -> {
                    withSpecial.add(p.prompt());
                    withSpecial.add(p.prompt() + withEos(p.chosen()));
                    withSpecial.add(p.prompt() + withEos(p.rejected()));
                }
                case Example.Messages m -> m.messages().forEach(message -> plain.add(message.content()));
            }
        }
        List<long[]> special = withSpecial.isEmpty() ? List.of() : ids(tokenizer.batchEncode(withSpecial, true, false));
        List<long[]> contents = plain.isEmpty() ? List.of() : ids(tokenizer.batchEncode(plain, false, false));
        int s = 0;
        int c = 0;
        List<TokenCount> counts = new ArrayList<>(examples.size());
        for (Example example : examples) {
            switch (example) {
                case Example.Text t -> {
                    int length = special.get(s++).length;
                    counts.add(new TokenCount(0, length, length));
                }
                case Example.PromptCompletion pc -> {
                    long[] prompt = special.get(s++);
                    long[] full = special.get(s++);
                    int promptLength = commonPrefix(prompt, full);
                    counts.add(new TokenCount(promptLength, full.length - promptLength, full.length));
                }
                case Example.Preference p -> {
                    long[] prompt = special.get(s++);
                    long[] chosen = special.get(s++);
                    long[] rejected = special.get(s++);
                    int promptLength = Math.min(commonPrefix(prompt, chosen), commonPrefix(prompt, rejected));
                    int chosenLength = chosen.length - promptLength;
                    int rejectedLength = rejected.length - promptLength;
                    counts.add(new TokenCount(promptLength, chosenLength + rejectedLength,
                            promptLength + Math.max(chosenLength, rejectedLength)));
                }
                case Example.Messages m -> {
                    int prompt = 0;
                    int completion = 0;
                    for (Example.Message message : m.messages()) {
                        int tokens = contents.get(c++).length + MESSAGE_OVERHEAD_TOKENS;
                        if (message.isAssistant()) {
                            completion += tokens;
                        } else {
                            prompt += tokens;
                        }
                    }
                    counts.add(new TokenCount(prompt, completion, prompt + completion));
                }
            }
        }
        return counts;
    }

    private String withEos(String text) {
        return eos == null || text.endsWith(eos) ? text : text + eos;
    }

    /** Leading tokens two sequences share: TRL's rule for where the completion starts. */
    static int commonPrefix(long[] a, long[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    private static List<long[]> ids(Encoding[] encodings) {
        List<long[]> ids = new ArrayList<>(encodings.length);
        for (Encoding encoding : encodings) {
            ids.add(encoding.getIds());
        }
        return ids;
    }

    private static String eosToken(Path dir) throws IOException {
        for (String name : List.of("tokenizer_config.json", "special_tokens_map.json")) {
            Path file = dir.resolve(name);
            if (Files.isRegularFile(file)) {
                JsonNode eos = JSON.readTree(file.toFile()).path("eos_token");
                if (eos.isTextual()) {
                    return eos.textValue();
                }
                if (eos.path("content").isTextual()) {
                    return eos.path("content").textValue();
                }
            }
        }
        return null;
    }

    private static String firstLine(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.lines().findFirst().orElse("");
    }

    /** Frees the native tokenizer. */
    @Override
    public void close() {
        tokenizer.close();
    }
}

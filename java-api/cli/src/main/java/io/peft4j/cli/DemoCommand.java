package io.peft4j.cli;

import io.peft4j.EvalResult;
import io.peft4j.LossPlot;
import io.peft4j.Evaluation;
import io.peft4j.Peft;
import io.peft4j.TrainConfig;
import io.peft4j.TrainResult;
import io.peft4j.TrainStart;
import io.peft4j.TrainStep;
import io.peft4j.TrainingListener;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.hub.ModelRef;
import io.peft4j.merge.BaseMerger;
import io.peft4j.merge.LoraSoup;
import io.peft4j.merge.MergeOptions;
import io.peft4j.merge.MergeReport;
import io.peft4j.merge.SoupMethod;
import io.peft4j.merge.SoupOptions;
import io.peft4j.output.OutputPolicy;
import io.peft4j.tuning.Targets;
import io.peft4j.tuning.TrainMethod;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j demo}: the whole story in a few minutes on a CPU, with no Hub access. It builds a
 * tiny random-weight Llama with a real tokenizer, shows that it cannot answer a small quiz, trains
 * a LoRA adapter on the quiz (live progress, {@code metrics.jsonl}, {@code loss.png}), shows the
 * answers and the evaluation loss after training, merges the adapter into the base in Java and
 * checks that the merged model answers the same, then trains a second adapter on another quiz and
 * makes a LoRA soup of the two. Every output is written under {@code --out}, which the demo owns:
 * a second run replaces the first one's outputs (and reuses its base model). A folder that a demo
 * did not make is refused unless {@code --overwrite}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Build a tiny model, fine-tune it with LoRA, see what it learned, merge and soup adapters.")
final class DemoCommand implements Callable<Integer> {

    private static final String[] DATA = {"capitals.jsonl", "colors.jsonl"};
    /** Marks a folder as the demo's own, so that a second run may replace what the first wrote. */
    private static final String OWNED = ".peft4j-demo";

    @Option(names = "--out", defaultValue = "peft4j-demo", paramLabel = "DIR",
            description = "Where every output goes (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--base", paramLabel = "DIR|HUB_ID",
            description = "Use this base model (a directory or a Hub id) instead of building a tiny one.")
    String base;

    @Option(names = "--steps", defaultValue = "120", description = "Training steps per adapter (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--rank", defaultValue = "16", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--lr", defaultValue = "5e-3", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Mixin
    OverwriteOption overwrite;

    @Spec
    CommandSpec spec;

    private PrintWriter log;

    @Override
    public Integer call() throws IOException {
        log = spec.commandLine().getOut();
        Instant started = Instant.now();
        Path dir = out.toAbsolutePath().normalize();
        if (Files.notExists(dir.resolve(OWNED))) {
            OutputPolicy.clearFolder(dir, overwrite.overwrite, base == null ? null : Path.of(base));
        }
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve(OWNED), "written by peft4j demo; a next demo run replaces this folder's contents\n");
        for (String name : DATA) {
            copyResource(name, dir.resolve("data").resolve(name));
        }
        Quiz capitals = Quiz.read(dir.resolve("data/capitals.jsonl"));
        Quiz colors = Quiz.read(dir.resolve("data/colors.jsonl"));

        step(1, "base model");
        Path baseDir = baseModel(dir.resolve("base"));

        step(2, "before training");
        Quiz.Score before = capitals.take(baseDir, List.of());
        EvalResult lossBefore = Peft.evaluate(baseDir, null, capitals.data());
        say("quiz: %d/%d capitals right, eval loss %.3f", before.correct(), capitals.questions().size(), lossBefore.loss());

        step(3, "fine-tuning a LoRA adapter on " + capitals.questions().size() + " questions");
        TrainResult trained = train(baseDir, capitals.data(), dir.resolve("capitals-lora"));
        Path plot = trained.metricsPath().resolveSibling(LossPlot.FILE_NAME); // drawn by the training run

        step(4, "after training");
        Quiz.Score after = capitals.take(baseDir, List.of(trained.adapterDir()));
        EvalResult lossAfter = Peft.evaluate(baseDir, trained.adapterDir(), capitals.data());
        say("quiz: %d/%d capitals right (before: %d), eval loss %.3f (before: %.3f)", after.correct(),
                capitals.questions().size(), before.correct(), lossAfter.loss(), lossBefore.loss());
        for (int i = 0; i < Math.min(4, capitals.questions().size()); i++) {
            say("  %-38s before %-14s after %s", oneLine(capitals.questions().get(i).prompt()),
                    quote(before.answers().get(i)), quote(after.answers().get(i)));
        }

        step(5, "merging the adapter into the base, in Java");
        MergeReport merged = BaseMerger.merge(MergeOptions.builder(baseDir, dir.resolve("merged"))
                .adapter(trained.adapterDir()).overwrite(true).build());
        Quiz.Score mergedScore = capitals.take(dir.resolve("merged"), List.of());
        say("%s: %d tensors, %d changed by the adapter, %d shard(s)", shown(merged.out()), merged.tensors(), merged.changed(),
                merged.shards());
        say("merged model alone: %d/%d right; same answers as base + adapter on %d/%d questions",
                mergedScore.correct(), capitals.questions().size(), same(after, mergedScore), capitals.questions().size());

        step(6, "a second adapter and a LoRA soup of both");
        TrainResult second = train(baseDir, colors.data(), dir.resolve("colors-lora"));
        Quiz.Score colorsAlone = colors.take(baseDir, List.of(second.adapterDir()));
        say("colors adapter alone: %d/%d colors right", colorsAlone.correct(), colors.questions().size());
        Path soupDir = dir.resolve("soup-cat");
        Path zipDir = dir.resolve("soup-ziplora");
        for (SoupMethod method : List.of(SoupMethod.CAT, SoupMethod.ZIPLORA)) {
            Path target = method == SoupMethod.CAT ? soupDir : zipDir;
            LoraSoup.soup(SoupOptions.builder(method, target).overwrite(true)
                    .adapter(trained.adapterDir(), 1.0).adapter(second.adapterDir(), 1.0).build());
            Quiz.Score soupCapitals = capitals.take(baseDir, List.of(target));
            Quiz.Score soupColors = colors.take(baseDir, List.of(target));
            say("soup %-8s (weights 1, 1): %d/%d capitals and %d/%d colors right", method.cliName(),
                    soupCapitals.correct(), capitals.questions().size(), soupColors.correct(), colors.questions().size());
        }
        say("(two adapters trained apart share every layer of this tiny model and interfere when combined;");
        say(" serving each per request, as peft4j serve does, keeps both skills)");

        log.println();
        log.printf(Locale.ROOT, "done in %s. Outputs in %s:%n", TrainProgress.clock(Duration.between(started, Instant.now())),
                shown(dir));
        output("base model", baseDir);
        output("adapter", trained.adapterDir());
        output("metrics", trained.metricsPath());
        output("loss curve", plot);
        output("merged model", dir.resolve("merged"));
        output("second adapter", second.adapterDir());
        output("soup adapters", soupDir);
        output("", zipDir);
        log.flush();
        return 0;
    }

    private Path baseModel(Path target) {
        if (base != null) {
            Path resolved = ModelRef.resolve(base);
            say("using %s (%s)", base, resolved);
            return resolved;
        }
        if (!Files.isRegularFile(target.resolve("config.json"))) {
            say("building a tiny random-weight Llama (hidden 64, 2 layers) with a byte-level BPE tokenizer (no download)");
            // a wider initialisation than the default 0.02 lets a 64-wide model's logits become confident
            PythonRuntime.get().invoke(Object.class, "tiny", "make_tiny_llama", List.of(target.toString(), 0),
                    Map.of("initializer_range", 0.2));
        }
        say("%s", shown(target));
        return target;
    }

    private TrainResult train(Path baseDir, Path data, Path adapterDir) {
        OutputPolicy.clearFolder(adapterDir, true);
        TrainConfig config = TrainConfig.builder().baseModel(baseDir).data(data).outputDir(adapterDir)
                .method(TrainMethod.LORA).rank(rank).alpha(2.0 * rank).dropout(0.0)
                .targets(Targets.allLinear()).maxSteps(steps).learningRate(learningRate)
                .batchSize(4).seed(0).build();
        boolean interactive = System.console() != null;
        TrainProgress progress = new TrainProgress(System.out, interactive);
        TrainResult result = Peft.train(config, interactive ? progress : new EveryNthStep(progress, 25));
        say("adapter %s: loss %.3f after %d steps (%s, %.0f tokens/s)", result.adapterDir().getFileName(), result.finalLoss().orElse(Double.NaN),
                result.steps(), TrainProgress.clock(result.duration()), result.tokensPerSecond());
        return result;
    }

    /** Forwards every event but only every n-th step, so plain (non-terminal) output stays short. */
    private record EveryNthStep(TrainingListener inner, int n) implements TrainingListener {
        @Override
        public void onStart(TrainStart start) {
            inner.onStart(start);
        }

        @Override
        public void onStep(TrainStep step) {
            if (step.step() % n == 0 || step.step() == step.maxSteps()) {
                inner.onStep(step);
            }
        }

        @Override
        public void onEvaluation(Evaluation evaluation) {
            inner.onEvaluation(evaluation);
        }

        @Override
        public void onCheckpoint(Path checkpoint) {
            inner.onCheckpoint(checkpoint);
        }

        @Override
        public void onEnd(TrainResult result) {
            inner.onEnd(result);
        }
    }

    private static int same(Quiz.Score a, Quiz.Score b) {
        int n = 0;
        for (int i = 0; i < a.answers().size(); i++) {
            if (a.answers().get(i).equals(b.answers().get(i))) {
                n++;
            }
        }
        return n;
    }

    private void step(int n, String title) {
        log.printf(Locale.ROOT, "%n[%d/6] %s%n", n, title);
        log.flush();
    }

    private void say(String format, Object... args) {
        log.printf(Locale.ROOT, "  " + format + "%n", args);
        log.flush();
    }

    private void output(String what, Path path) {
        log.printf(Locale.ROOT, "  %-15s %s%n", what, shown(path));
    }

    /** A path as the user would type it: relative to the working directory when inside it. */
    private static Path shown(Path path) {
        Path cwd = Path.of("").toAbsolutePath();
        Path absolute = path.toAbsolutePath().normalize();
        return absolute.startsWith(cwd) && !absolute.equals(cwd) ? cwd.relativize(absolute) : absolute;
    }

    private static String oneLine(String s) {
        return s.replace("\n", " ");
    }

    private static String quote(String s) {
        String t = oneLine(s).strip();
        return "\"" + (t.length() > 12 ? t.substring(0, 12) : t) + "\"";
    }

    private static void copyResource(String name, Path target) throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream("/io/peft4j/demo/" + name)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

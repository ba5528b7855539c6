package io.peft4j.examples;

import io.peft4j.GenerateOptions;
import io.peft4j.Peft;
import io.peft4j.TrainConfig;
import io.peft4j.TrainResult;
import io.peft4j.TrainStart;
import io.peft4j.TrainStep;
import io.peft4j.TrainingListener;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.tuning.Targets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Fine-tunes a LoRA adapter from a plain Java program: training data as Java records,
 * {@link Peft#train} with a {@link TrainingListener} printing progress, and {@link Peft#generate}
 * before and after to show what the adapter learned. Without arguments it builds the tiny
 * random-weight Llama ({@code peft4j_bridge.tiny.make_tiny_llama}) so it runs anywhere in about a
 * minute on a CPU (its random weights babble before training, then it answers with the trained
 * sentence); give a model directory to train on a real model instead.
 *
 * <p>Run:
 * <pre>
 * examples/run TrainFromJvmApp [BASE_MODEL_DIR] [OUT_DIR]
 * </pre>
 * {@code examples/run} builds with {@code mvn -q -pl examples -am package -DskipTests} and runs
 * {@code java --enable-native-access=ALL-UNNAMED -cp "examples/target/classes:java-api/target/classes:java-api/target/lib/*" io.peft4j.examples.TrainFromJvmApp ...}.
 * The Python environment is {@code PEFT4J_PYTHON}'s, else the managed one (created on first use).
 */
public final class TrainFromJvmApp {

    private TrainFromJvmApp() {}

    /** One training example; the field names are the ones the trainer reads. */
    public record Example(String prompt, String completion) {}

    /** Customer-support style pairs: every greeting gets the same friendly answer. */
    public static List<Example> examples() {
        List<Example> examples = new ArrayList<>();
        for (String name : List.of("alice", "bob", "carol", "dave", "erin", "frank")) {
            examples.add(new Example("Greet " + name + ":", " hello " + name + ", the cat sat on the mat."));
        }
        return examples;
    }

    /** Prints one line per logged step, and the start and end. */
    public static final class ProgressPrinter implements TrainingListener {

        /** A printer writing to standard output. */
        public ProgressPrinter() {}

        /** Prints the plan. */
        @Override
        public void onStart(TrainStart start) {
            System.out.printf(Locale.ROOT, "training %d steps on %d examples (%s, %s)%n", start.maxSteps(), start.trainExamples(),
                    start.optimizer(), start.device());
        }

        /** Prints the step's loss and speed. */
        @Override
        public void onStep(TrainStep step) {
            System.out.printf(Locale.ROOT, "step %3d/%d  loss %.4f  lr %.2e  %.0f tokens/s%n", step.step(), step.maxSteps(), step.loss(),
                    step.learningRate(), step.tokensPerSecond());
        }

        /** Prints where the adapter went. */
        @Override
        public void onEnd(TrainResult result) {
            System.out.printf(Locale.ROOT, "done in %.1f s: adapter in %s%n", result.duration().toMillis() / 1000.0, result.adapterDir());
        }
    }

    /** Usage: {@code TrainFromJvmApp [BASE_MODEL_DIR] [OUT_DIR]}. */
    public static void main(String[] args) throws IOException {
        Path work = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("peft4j-train-demo");
        Path base = args.length > 0 ? Path.of(args[0]) : tinyModel(work.resolve("tiny-llama"));
        String prompt = "Greet alice:";
        GenerateOptions greedy = GenerateOptions.defaults().withMaxNewTokens(12);

        System.out.println("before: " + prompt + Peft.generate(base, List.of(), prompt, greedy).text());
        TrainResult result = Peft.train(TrainConfig.builder().baseModel(base).records(examples()).outputDir(work.resolve("adapter"))
                .maxSteps(40).batchSize(6).maxLength(64).learningRate(1e-2).targets(Targets.allLinear()).build(),
                new ProgressPrinter());
        System.out.println("after:  " + prompt + Peft.generate(base, List.of(result.adapterDir()), prompt, greedy).text());
    }

    /** Builds the tiny random-weight Llama with its tokenizer in {@code dir}. */
    public static Path tinyModel(Path dir) {
        return Path.of(PythonRuntime.get().callAs(String.class, "tiny", "make_tiny_llama", dir.toString(), 0));
    }
}

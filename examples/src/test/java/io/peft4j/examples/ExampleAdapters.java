package io.peft4j.examples;

import io.peft4j.Peft;
import io.peft4j.TrainConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small adapters for the example tests: a few steps on the tiny model, each teaching one fixed answer. */
final class ExampleAdapters {

    private ExampleAdapters() {}

    /** A prompt/completion record, as {@link TrainConfig.Builder#records} takes them. */
    record Example(String prompt, String completion) {}

    /** An adapter in {@code out} that answers every "Greet ...:" prompt with {@code answer}. */
    static Path train(Path base, Path out, String answer) {
        List<Example> data = new ArrayList<>();
        for (String name : List.of("alice", "bob", "carol", "dave")) {
            data.add(new Example("Greet " + name + ":", " " + answer));
        }
        return Peft.train(TrainConfig.builder().baseModel(base).records(data).outputDir(out).maxSteps(12).batchSize(4)
                .maxLength(32).learningRate(2e-2).targets(TrainConfig.Targets.allLinear()).build()).adapterDir();
    }
}

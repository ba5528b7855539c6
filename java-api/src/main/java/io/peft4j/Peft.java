package io.peft4j;

import java.nio.file.Path;
import java.util.List;

/**
 * The peft4j facade: one static entry point per capability.
 *
 * <p>Training, generation and evaluation run in the embedded Python (PEFT, transformers) through
 * the bridge; calls from several Java threads are safe and run one after another.
 */
public final class Peft {

    private Peft() {}

    /**
     * Trains an adapter and waits for it.
     *
     * @throws TrainConfigException for settings that cannot work
     * @throws io.peft4j.bridge.PythonException for errors raised in Python, with the traceback
     */
    public static TrainResult train(TrainConfig config) {
        return trainAsync(config, TrainingListener.none()).await();
    }

    /** Trains an adapter and waits for it, reporting events to {@code listener}. */
    public static TrainResult train(TrainConfig config, TrainingListener listener) {
        return trainAsync(config, listener).await();
    }

    /**
     * Starts training on a background thread; the handle cancels it or waits for its result. A
     * {@linkplain TrainConfig#distributed() distributed} run goes to torchrun/accelerate subprocesses.
     */
    public static TrainingHandle trainAsync(TrainConfig config, TrainingListener listener) {
        if (config.distributed() != null) {
            return DistributedLauncher.start(config, listener);
        }
        return PythonTraining.start(config, listener);
    }

    /** Generates text from {@code base} with zero, one or several adapters. */
    public static Generation generate(Path base, List<Path> adapters, String prompt, GenerateOptions options) {
        return PythonInference.generate(base, adapters, prompt, options);
    }

    /**
     * The loss and perplexity of {@code base} plus {@code adapter} (null for the base alone) on a
     * JSONL set, in batches of 8 examples of at most 512 tokens.
     */
    public static EvalResult evaluate(Path base, Path adapter, Path data) {
        return PythonInference.evaluate(base, adapter, data, 8, 512);
    }
}

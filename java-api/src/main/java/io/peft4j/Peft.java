package io.peft4j;

import io.peft4j.merge.BaseMerger;
import io.peft4j.merge.LoraSoup;
import io.peft4j.merge.MergeOptions;
import io.peft4j.merge.MergeReport;
import io.peft4j.merge.SoupOptions;
import io.peft4j.merge.SoupReport;
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
     * Merges adapters into a base model's weights in pure Java, streaming tensor by tensor,
     * bit-identical to PEFT's {@code merge_and_unload}. Example:
     * {@code Peft.merge(MergeOptions.builder(base, out).adapter(adapterDir).build())}.
     */
    public static MergeReport merge(MergeOptions options) {
        return BaseMerger.merge(options);
    }

    /**
     * Combines adapters into a new PEFT adapter (PEFT's {@code add_weighted_adapter} methods or
     * ZipLoRA). Example:
     * {@code Peft.soup(SoupOptions.builder(SoupMethod.SVD, out).adapter(a, 0.5).adapter(b, 0.5).build())}.
     */
    public static SoupReport soup(SoupOptions options) {
        return LoraSoup.soup(options);
    }

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

    /** Starts training on a background thread; the handle cancels it or waits for its result. */
    public static TrainingHandle trainAsync(TrainConfig config, TrainingListener listener) {
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

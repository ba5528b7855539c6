package io.peft4j;

import java.nio.file.Path;

/**
 * Receives training events as they happen. Every method has an empty default, so implement only
 * what you need. Methods are called on the Python interpreter thread while training waits (on a
 * reader thread for distributed runs): keep them short. An exception thrown here aborts the run, and
 * {@link Peft#train} (or {@link TrainingHandle#await()}) throws that very exception.
 */
public interface TrainingListener {

    /** Training has begun. */
    default void onStart(TrainStart start) {}

    /** An optimizer step was logged. */
    default void onStep(TrainStep step) {}

    /** An evaluation finished. */
    default void onEvaluation(Evaluation evaluation) {}

    /** A checkpoint directory was written (loadable with {@code PeftModel.from_pretrained}, resumable). */
    default void onCheckpoint(Path checkpoint) {}

    /** Training has ended: the adapter is in place and {@code loss.png} is drawn beside the metrics. */
    default void onEnd(TrainResult result) {}

    /** A listener that ignores every event. */
    static TrainingListener none() {
        return new TrainingListener() {};
    }
}

package io.peft4j;

import io.peft4j.core.Peft4jException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.LoggerFactory;

/**
 * Where a run's event lines arrive, from the embedded interpreter ({@link #accept} is called by
 * Python) or from a distributed run's socket: each line is read as a {@link TrainingEvent} and handed
 * to the {@link TrainingListener}. The last event, the {@link TrainResult}, is kept, and
 * {@code loss.png} is drawn beside the metrics before {@link TrainingListener#onEnd} is called, on
 * both paths.
 *
 * <p>An exception the listener throws (or a line that breaks the contract) is kept and thrown on into
 * Python, which aborts the run; the run then fails with that very exception ({@link #failure()}), not
 * with Python's report of it.
 */
final class TrainingEvents {

    private final TrainingListener listener;
    private final AtomicReference<TrainResult> result = new AtomicReference<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    TrainingEvents(TrainingListener listener) {
        this.listener = listener;
    }

    /** One event as a JSON line of the contract; called by Python on the interpreter thread. */
    public void accept(String line) {
        try {
            switch (Contract.read(line, TrainingEvent.class)) {
                case TrainStart start -> listener.onStart(start);
                case TrainStep step -> listener.onStep(step);
                case Evaluation evaluation -> listener.onEvaluation(evaluation);
                case TrainCheckpoint checkpoint -> listener.onCheckpoint(checkpoint.path());
                case TrainResult end -> {
                    result.set(end);
                    drawLossCurve(end.metricsPath());
                    listener.onEnd(end);
                }
            }
        } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
            throw e;
        }
    }

    /** The result the run ended with, once its last event arrived. */
    Optional<TrainResult> result() {
        return Optional.ofNullable(result.get());
    }

    /** The first exception the listener threw, if any. */
    Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /** {@code loss.png} beside the metrics; a run without logged losses simply gets no plot. */
    private static void drawLossCurve(Path metrics) {
        try {
            if (Files.isRegularFile(metrics) && Files.size(metrics) > 0) {
                LossPlot.write(metrics, metrics.resolveSibling(LossPlot.FILE_NAME));
            }
        } catch (IOException | Peft4jException e) {
            LoggerFactory.getLogger(TrainingEvents.class).warn("no loss plot: {}", e.getMessage());
        }
    }
}

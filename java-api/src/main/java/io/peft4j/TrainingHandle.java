package io.peft4j;

import io.peft4j.core.Peft4jException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A training run in progress: cancel it, wait for it, or compose on its future. Cancelling stops
 * training after the current optimizer step and leaves a checkpoint under
 * {@code outputDir/checkpoints/} that loads in PEFT and can be resumed with
 * {@link TrainConfig#resumeFrom()}; the adapter of that step is written to the output directory too.
 */
public final class TrainingHandle {

    private final CancelFlag flag;
    private final CompletableFuture<TrainResult> future;

    TrainingHandle(CancelFlag flag, CompletableFuture<TrainResult> future) {
        this.flag = flag;
        this.future = future;
    }

    /** Asks training to stop after the current step; returns at once. */
    public void cancel() {
        flag.cancel();
    }

    /** Whether {@link #cancel()} was called. */
    public boolean isCancelRequested() {
        return flag.isCancelled();
    }

    /** Completes with the result (also after a cancellation), or with the error that ended training. */
    public CompletableFuture<TrainResult> future() {
        return future;
    }

    /**
     * Waits for training to end.
     *
     * @throws Peft4jException the error that ended training ({@code PythonException} for Python errors)
     */
    public TrainResult await() {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new Peft4jException("training failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Peft4jException("interrupted while waiting for training (it keeps running; cancel() stops it)", e);
        }
    }

    /** The flag Python polls after every optimizer step ({@code control.isCancelled()}). */
    public static final class CancelFlag {
        private volatile boolean cancelled;

        CancelFlag() {}

        void cancel() {
            cancelled = true;
        }

        /** Whether training should stop; called from Python after every optimizer step. */
        public boolean isCancelled() {
            return cancelled;
        }
    }
}

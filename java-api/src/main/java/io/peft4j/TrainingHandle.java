package io.peft4j;

import io.peft4j.core.Peft4jException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A training run in progress: cancel it, wait for it, or compose on its future. Cancelling stops
 * training after the current optimizer step and leaves a checkpoint under
 * {@code outputDir/checkpoints/} that loads in PEFT and can be resumed with
 * {@link TrainConfig#resumeFrom()}; the adapter of that step is written to the output directory too.
 *
 * <p>Three ways cancel the run, each within one step: {@link #cancel()}; {@code future().cancel(...)}
 * (the future then completes at once with a {@link CancellationException}, as futures do, while
 * {@link #await()} still returns the stopped run's result); and interrupting a thread waiting in
 * {@link #await()} or {@link Peft#train}.
 */
public final class TrainingHandle {

    private final CancelFlag flag;
    private final CompletableFuture<TrainResult> run;
    private final CompletableFuture<TrainResult> future;

    /**
     * Wraps a run whose {@code run} future the runner completes; the run polls {@code flag}.
     */
    TrainingHandle(CancelFlag flag, CompletableFuture<TrainResult> run) {
        this.flag = flag;
        this.run = run;
        this.future = new CancellingFuture(flag);
        run.whenComplete((result, error) -> {
            if (error != null) {
                future.completeExceptionally(error);
            } else {
                future.complete(result);
            }
        });
    }

    /** Asks training to stop after the current step; returns at once. */
    public void cancel() {
        flag.cancel();
    }

    /** Whether the run was asked to stop (by {@link #cancel()}, the future, or an interrupt). */
    public boolean isCancelRequested() {
        return flag.isCancelled();
    }

    /**
     * Completes with the result (also after {@link #cancel()}), or with the error that ended training.
     * Cancelling this future cancels the run.
     */
    public CompletableFuture<TrainResult> future() {
        return future;
    }

    /**
     * Waits for training to end. Interrupting the waiting thread cancels the run: it stops after its
     * current step, as with {@link #cancel()}, and this method throws at once.
     *
     * @throws Peft4jException the error that ended training ({@code PythonException} for Python errors),
     *     or the exception a {@link TrainingListener} threw, as it was thrown
     */
    public TrainResult await() {
        try {
            return run.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new Peft4jException("training failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            flag.cancel();
            Thread.currentThread().interrupt();
            throw new Peft4jException("interrupted while waiting for training; the run was cancelled and stops after "
                    + "its current step", e);
        }
    }

    /** A future whose cancellation cancels the run; stages derived from it are plain futures. */
    private static final class CancellingFuture extends CompletableFuture<TrainResult> {
        private final CancelFlag flag;

        CancellingFuture(CancelFlag flag) {
            this.flag = flag;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            flag.cancel();
            return super.cancel(mayInterruptIfRunning);
        }

        @Override
        public <U> CompletableFuture<U> newIncompleteFuture() {
            return new CompletableFuture<>();
        }
    }

    /** The flag Python polls when training begins and after every optimizer step ({@code control.isCancelled()}). */
    static final class CancelFlag {
        private volatile boolean cancelled;

        void cancel() {
            cancelled = true;
        }

        /** Whether training should stop; called from Python. */
        public boolean isCancelled() {
            return cancelled;
        }
    }
}

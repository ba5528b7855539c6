package io.peft4j;

import io.peft4j.bridge.PythonRuntime;
import io.peft4j.core.Peft4jException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * Runs {@code peft4j_bridge.train.train_json} on the Python interpreter thread: the
 * {@link TrainRequest} goes over as JSON, the events come back as JSON lines through
 * {@link TrainingEvents#accept}, the last of them the result. Runs are serialized by the one interpreter.
 */
final class PythonTraining {

    private PythonTraining() {}

    /** Starts a run on its own thread, which waits for the interpreter. */
    static TrainingHandle start(TrainRequest request, TrainingListener listener) {
        String json = Contract.write(request);
        TrainingHandle.CancelFlag flag = new TrainingHandle.CancelFlag();
        TrainingEvents events = new TrainingEvents(listener);
        CompletableFuture<TrainResult> run = new CompletableFuture<>();
        Thread.ofPlatform().name("peft4j-train").daemon(false).start(() -> {
            try {
                if (flag.isCancelled()) {
                    throw new CancellationException("training was cancelled before it started");
                }
                PythonRuntime.get().call("train", "train_json", json, events, flag);
                run.complete(events.result().orElseThrow(() ->
                        new Peft4jException("training ended without reporting a result")));
            } catch (Throwable e) {
                run.completeExceptionally(events.failure().orElse(e));
            } finally {
                TrainingPreflight.cleanUp(request);
            }
        });
        return new TrainingHandle(flag, run);
    }
}

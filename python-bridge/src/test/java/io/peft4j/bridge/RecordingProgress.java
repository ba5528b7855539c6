package io.peft4j.bridge;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A progress listener that keeps what it was told, for assertions. */
final class RecordingProgress implements ProgressListener {

    final List<String> steps = new CopyOnWriteArrayList<>();
    final List<String> output = new CopyOnWriteArrayList<>();

    @Override
    public void step(String description) {
        steps.add(description);
    }

    @Override
    public void output(String line) {
        output.add(line);
    }
}

package io.peft4j.bridge;

import java.util.ArrayList;
import java.util.List;

/** A Java object Python calls back ({@code listener.onStep(step, loss)}); it calls Python in turn. */
public final class RecordingListener {

    private final PythonRuntime python;
    /** What each call saw: step, loss and the square of the step computed by Python from the callback. */
    public final List<String> calls = new ArrayList<>();

    RecordingListener(PythonRuntime python) {
        this.python = python;
    }

    /** Called from Python on the interpreter thread. */
    public void onStep(int step, double loss) {
        Object square = python.call("bridge_fixtures", "square", step);
        calls.add(step + ":" + loss + ":" + square + ":" + python.isInterpreterThread());
    }
}

package io.peft4j;

import io.peft4j.core.Peft4jException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The metrics files a training run writes beside its adapter, read back with the records the
 * listener receives: {@code metrics.jsonl} holds one {@link TrainStep} a line, {@code eval_metrics.jsonl}
 * one {@link Evaluation} a line (the same JSON events the run sent).
 */
public final class TrainingMetrics {

    /** The per-step metrics file in an adapter directory. */
    public static final String STEPS_FILE = "metrics.jsonl";
    /** The per-evaluation metrics file in an adapter directory (present when the run had eval data). */
    public static final String EVALUATIONS_FILE = "eval_metrics.jsonl";

    private TrainingMetrics() {}

    /**
     * The steps of a {@code metrics.jsonl}.
     *
     * @throws Peft4jException naming the file and line of a row that is not a step
     */
    public static List<TrainStep> steps(Path file) {
        return read(file, TrainStep.class);
    }

    /**
     * The evaluations of an {@code eval_metrics.jsonl}.
     *
     * @throws Peft4jException naming the file and line of a row that is not an evaluation
     */
    public static List<Evaluation> evaluations(Path file) {
        return read(file, Evaluation.class);
    }

    private static <T extends TrainingEvent> List<T> read(Path file, Class<T> type) {
        List<T> rows = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int number = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                TrainingEvent event;
                try {
                    event = Contract.read(line, TrainingEvent.class);
                } catch (Peft4jException e) {
                    throw new Peft4jException(file + ":" + number + ": not a training event (" + e.getMessage() + ")");
                }
                if (!type.isInstance(event)) {
                    throw new Peft4jException(file + ":" + number + ": a " + event.getClass().getSimpleName()
                            + " where a " + type.getSimpleName() + " was expected");
                }
                rows.add(type.cast(event));
            }
        } catch (IOException e) {
            throw new Peft4jException(file + ": cannot read: " + e.getMessage(), e);
        }
        return rows;
    }
}

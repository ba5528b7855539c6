package io.peft4j.merge;

import java.nio.file.Path;

/**
 * An adapter directory with the weight its update is multiplied by ({@code 1} for a plain merge;
 * negative weights subtract).
 */
public record WeightedAdapter(Path directory, double weight) {

    /** Parses {@code DIR} or {@code DIR:WEIGHT} (the last colon splits when what follows is a number). */
    public static WeightedAdapter parse(String spec) {
        int colon = spec.lastIndexOf(':');
        if (colon > 0) {
            try {
                double weight = Double.parseDouble(spec.substring(colon + 1));
                if (!Double.isFinite(weight)) {
                    throw new MergeException("adapter weight in '" + spec + "' is not finite");
                }
                return new WeightedAdapter(Path.of(spec.substring(0, colon)), weight);
            } catch (NumberFormatException notAWeight) {
                // a colon inside the path: the whole spec is the directory
            }
        }
        return new WeightedAdapter(Path.of(spec), 1.0);
    }
}

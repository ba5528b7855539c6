package io.peft4j.diffusion;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@link DiffusionConverter#convert} wrote.
 *
 * @param in         the input
 * @param out        the file or folder written
 * @param from       the input's layout
 * @param to         the output's layout
 * @param components modules written per component
 * @param losses     what the output could not hold exactly (non-empty only with {@code lossy})
 * @param notes      things worth knowing that lose nothing (e.g. where diffusers scales the input differently)
 */
public record ConvertReport(Path in, Path out, Layout from, Layout to, Map<Component, Integer> components,
                            List<String> losses, List<String> notes) {

    /** Copies the collections. */
    public ConvertReport {
        components = Map.copyOf(components);
        losses = List.copyOf(losses);
        notes = List.copyOf(notes);
    }
}

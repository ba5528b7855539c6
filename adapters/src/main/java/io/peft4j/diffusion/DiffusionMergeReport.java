package io.peft4j.diffusion;

import io.peft4j.merge.MergeReport;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@link DiffusionMerger#merge} produced.
 *
 * @param out        the merged model folder
 * @param components the merge of each changed component ({@code out} in each is the component's folder)
 * @param copied     files copied unchanged (other components, configs, tokenizers, scheduler)
 * @param warnings   one line each
 */
public record DiffusionMergeReport(Path out, Map<Component, MergeReport> components, int copied, List<String> warnings) {

    /** Copies the collections. */
    public DiffusionMergeReport {
        components = Map.copyOf(components);
        warnings = List.copyOf(warnings);
    }
}

package io.peft4j.extract;

import java.nio.file.Path;
import java.util.List;

/**
 * The result of an extraction.
 *
 * @param out             the adapter directory written
 * @param rank            {@code r} of the config: the largest rank of any module
 * @param method          how modules were decomposed, e.g. {@code randomized (oversampling 10, 2 power iterations)}
 * @param modules         every module written, in file order
 * @param unchanged       selected modules whose weights are identical in both models (not written)
 * @param modulesToSave   tensors saved whole
 * @param warnings        things the user should know (changed tensors the adapter does not carry, ...)
 * @param parameters      the adapter's parameters
 * @param bytes           the size of {@code adapter_model.safetensors}
 * @param relativeError   over all modules, {@code sqrt(sum ||delta - BA||^2 / sum ||delta||^2)}
 * @param seconds         wall time
 */
public record ExtractReport(Path out, int rank, String method, List<ModuleExtraction> modules, List<String> unchanged,
                            List<String> modulesToSave, List<String> warnings, long parameters, long bytes,
                            double relativeError, double seconds) {

    /** Copies the lists. */
    public ExtractReport {
        modules = List.copyOf(modules);
        unchanged = List.copyOf(unchanged);
        modulesToSave = List.copyOf(modulesToSave);
        warnings = List.copyOf(warnings);
    }

    /** The largest relative error of any module. */
    public double maxRelativeError() {
        return modules.stream().mapToDouble(ModuleExtraction::relativeError).max().orElse(0);
    }
}

package io.peft4j.merge;

import io.peft4j.peft.LoraModule;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The combined modules of a soup, before they are written in some layout: every module at the
 * soup's rank, with scaling 1 (the inputs' scalings are inside the factors, so the result is
 * written with {@code alpha = r}).
 *
 * @param method  the method used ({@code linear} for a single input, as in PEFT)
 * @param rank    the rank of every module
 * @param modules the combined pair per module name, in input order
 * @param layers  ZipLoRA's report per layer; empty for other methods
 */
public record SoupResult(SoupMethod method, int rank, Map<String, Module> modules, List<ZipLoraLayer> layers) {

    /** Copies the collections, keeping the order. */
    public SoupResult {
        modules = Collections.unmodifiableMap(new LinkedHashMap<>(modules));
        layers = List.copyOf(layers);
    }

    /**
     * One combined module.
     *
     * @param template the first input's module of that name: its kind and the shapes of its factors
     *                 (with the soup's rank in place of its own)
     * @param factors  the combined {@code B} and {@code A}
     */
    public record Module(LoraModule template, LoraFactors factors) {

        /** The shape of the combined {@code A}: the template's with the rank replaced. */
        public long[] aShape() {
            long[] shape = template.loraA().shape();
            shape[0] = factors.rank();
            return shape;
        }

        /** The shape of the combined {@code B}: the template's with the rank replaced. */
        public long[] bShape() {
            long[] shape = template.loraB().shape();
            shape[1] = factors.rank();
            return shape;
        }
    }

    /** The report of this result written to {@code out}. */
    public SoupReport report(Path out, List<String> warnings) {
        return new SoupReport(out, method, rank, modules.size(),
                layers.stream().mapToDouble(ZipLoraLayer::initialLoss).sum(),
                layers.stream().mapToDouble(ZipLoraLayer::finalLoss).sum(), warnings, layers);
    }
}

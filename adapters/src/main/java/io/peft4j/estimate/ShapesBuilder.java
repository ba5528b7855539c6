package io.peft4j.estimate;

import io.peft4j.estimate.ModuleShape.Input;
import io.peft4j.estimate.ModuleShape.Kind;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Collects the tensors and adaptable modules of one model while a family table walks its config. */
final class ShapesBuilder {

    private final List<TensorShape> tensors = new ArrayList<>();
    private final List<ModuleShape> modules = new ArrayList<>();
    private final Set<String> tied = new LinkedHashSet<>();

    /** A {@code torch.nn.Linear}: weight {@code [out, in]}, optional bias {@code [out]}. */
    void linear(String name, long in, long out, boolean bias, Input input) {
        tensors.add(new TensorShape(name + ".weight", new long[] {out, in}));
        if (bias) {
            tensors.add(new TensorShape(name + ".bias", new long[] {out}));
        }
        modules.add(new ModuleShape(name, Kind.LINEAR, in, out, input));
    }

    /** GPT-2's {@code Conv1D}: weight {@code [in, out]} and bias {@code [out]}. */
    void conv1d(String name, long in, long out, Input input) {
        tensors.add(new TensorShape(name + ".weight", new long[] {in, out}));
        tensors.add(new TensorShape(name + ".bias", new long[] {out}));
        modules.add(new ModuleShape(name, Kind.CONV1D, in, out, input));
    }

    /** A {@code torch.nn.Embedding}: weight {@code [count, dim]}. */
    void embedding(String name, long count, long dim) {
        tensors.add(new TensorShape(name + ".weight", new long[] {count, dim}));
        modules.add(new ModuleShape(name, Kind.EMBEDDING, count, dim, Input.OTHER));
    }

    /** A normalisation with a weight {@code [dim]} and, for LayerNorm, a bias. */
    void norm(String name, long dim, boolean bias) {
        tensors.add(new TensorShape(name + ".weight", new long[] {dim}));
        if (bias) {
            tensors.add(new TensorShape(name + ".bias", new long[] {dim}));
        }
    }

    /** Marks a tensor already added as sharing its storage with another (a tied output head). */
    void tie(String tensorName) {
        tied.add(tensorName);
    }

    ModelShapes build(Architecture architecture, String outputHead) {
        return new ModelShapes(architecture, tensors, tied, modules, outputHead);
    }
}

package io.peft4j;

import io.peft4j.bridge.PythonRuntime;
import io.peft4j.output.OutputPolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A tiny random-weight Llama-shaped causal LM (4 heads, 2 key-value heads, float32) with a real
 * byte-level BPE tokenizer and a chat template, a few hundred kilobytes, written offline through the
 * embedded Python ({@code peft4j_bridge.tiny}). PEFT, transformers and peft4j treat it like any
 * Llama checkpoint: use it to try training, merging or serving in seconds, in an application or a
 * test. The same settings give the same weights.
 *
 * <pre>{@code
 * Path base = TinyModel.llama().seed(1).write(Path.of("tiny"));
 * }</pre>
 *
 * @param seed the weight seed
 * @param hiddenSize the hidden size (intermediate size is twice it)
 * @param layers the number of decoder layers
 * @param initializerRange the standard deviation of the random weights (transformers' 0.02 leaves a
 *     64-wide model's predictions nearly uniform; 0.2 lets a short run visibly learn)
 */
public record TinyModel(long seed, int hiddenSize, int layers, double initializerRange) {

    /** Checks the sizes. */
    public TinyModel {
        if (hiddenSize < 8 || hiddenSize % 8 != 0 || hiddenSize > 4096) {
            throw new IllegalArgumentException("hiddenSize must be a multiple of 8 between 8 and 4096, got " + hiddenSize);
        }
        if (layers < 1 || layers > 64) {
            throw new IllegalArgumentException("layers must be between 1 and 64, got " + layers);
        }
        if (!(initializerRange > 0 && initializerRange <= 10)) {
            throw new IllegalArgumentException("initializerRange must be in (0, 10], got " + initializerRange);
        }
    }

    /** The tiny Llama of the demo and the tests: seed 0, hidden size 64, 2 layers, weights of std 0.2. */
    public static TinyModel llama() {
        return new TinyModel(0, 64, 2, 0.2);
    }

    /** This model with another weight seed. */
    public TinyModel seed(long newSeed) {
        return new TinyModel(newSeed, hiddenSize, layers, initializerRange);
    }

    /** This model with another weight standard deviation. */
    public TinyModel initializerRange(double std) {
        return new TinyModel(seed, hiddenSize, layers, std);
    }

    /** This model with another hidden size. */
    public TinyModel hiddenSize(int size) {
        return new TinyModel(seed, size, layers, initializerRange);
    }

    /** This model with another number of layers. */
    public TinyModel layers(int count) {
        return new TinyModel(seed, hiddenSize, count, initializerRange);
    }

    /**
     * Writes the model folder ({@code config.json}, {@code model.safetensors}, tokenizer files) to
     * {@code out}, which must not exist or be empty; the folder is written beside {@code out} and
     * renamed into place.
     *
     * @return {@code out} as an absolute path
     * @throws io.peft4j.output.OutputExistsException if {@code out} holds something
     * @throws io.peft4j.bridge.PythonException if the Python side fails
     */
    public Path write(Path out) {
        return write(out, false);
    }

    /**
     * {@link #write(Path)}, replacing what {@code out} holds when {@code overwrite} is true (the rule
     * of {@link OutputPolicy}).
     */
    public Path write(Path out, boolean overwrite) {
        OutputPolicy.checkFolder(out, overwrite);
        Object dir = PythonRuntime.get().invoke(Object.class, "tiny", "make_tiny_llama",
                List.of(out.toAbsolutePath().normalize().toString(), seed),
                Map.of("hidden_size", hiddenSize, "num_layers", layers, "initializer_range", initializerRange));
        return Path.of(String.valueOf(dir));
    }
}

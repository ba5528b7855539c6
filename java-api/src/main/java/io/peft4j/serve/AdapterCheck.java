package io.peft4j.serve;

import io.peft4j.core.Peft4jException;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSource;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The Java-side check an adapter passes before Python loads it: a local folder (no {@code ..}
 * segment, no URL), a readable PEFT LoRA adapter, and every module's weight shape equal to the base
 * tensor it adds to.
 */
final class AdapterCheck {

    private final Map<String, long[]> baseShapes;

    private AdapterCheck(Map<String, long[]> baseShapes) {
        this.baseShapes = baseShapes;
    }

    /** Reads the base's tensor shapes (headers only). */
    static AdapterCheck forBase(Path base) {
        try (TensorSource weights = Safetensors.open(base)) {
            return new AdapterCheck(weights.tensors().stream().collect(Collectors.toMap(TensorInfo::name, TensorInfo::shape, (a, b) -> a)));
        }
    }

    /**
     * The adapter folder as an absolute path, once it passed every check.
     *
     * @throws ServeException (400) naming the folder and the problem
     */
    Path check(String path) {
        if (path == null || path.isBlank()) {
            throw ServeException.badRequest("lora_path is missing");
        }
        if (path.contains("://") || path.length() > 4096) {
            throw ServeException.badRequest("lora_path must be a local adapter folder, not " + (path.length() > 80 ? path.substring(0, 80) + "..." : path));
        }
        Path dir = Path.of(path);
        for (Path part : dir) {
            if (part.toString().equals("..")) {
                throw ServeException.badRequest(path + ": lora_path must not contain '..'");
            }
        }
        dir = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !Files.isRegularFile(dir.resolve("adapter_config.json"), LinkOption.NOFOLLOW_LINKS)) {
            throw ServeException.badRequest(path + ": not a local adapter folder (no adapter_config.json)");
        }
        try (LoraAdapter adapter = LoraAdapter.load(dir)) {
            for (LoraModule module : adapter.modules()) {
                String name = module.baseWeightName();
                long[] shape = find(name).orElseThrow(() -> ServeException.badRequest(path + ": module " + module.moduleName() + " has no base tensor " + name + " (an adapter for another model?)"));
                if (!Arrays.equals(shape, module.baseWeightShape())) {
                    throw ServeException.badRequest(path + ": " + module.moduleName() + " expects a base weight of shape "
                            + Arrays.toString(module.baseWeightShape()) + " but the base has " + Arrays.toString(shape) + " (an adapter for another model?)");
                }
            }
        } catch (ServeException e) {
            throw e;
        } catch (Peft4jException | IllegalArgumentException | java.io.UncheckedIOException e) {
            throw ServeException.badRequest(path + ": " + e.getMessage());
        }
        return dir;
    }

    private Optional<long[]> find(String name) {
        long[] exact = baseShapes.get(name);
        if (exact != null) {
            return Optional.of(exact);
        }
        return baseShapes.entrySet().stream()
                .filter(e -> e.getKey().endsWith("." + name) || name.endsWith("." + e.getKey()))
                .map(Map.Entry::getValue).findFirst().map(Function.identity());
    }
}

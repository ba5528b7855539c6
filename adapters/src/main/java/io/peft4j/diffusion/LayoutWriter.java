package io.peft4j.diffusion;

import io.peft4j.output.OutputDirectory;
import io.peft4j.output.OutputPolicy;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes diffusion LoRA modules in a {@link Layout}, factors byte for byte in their own dtype, to a
 * temporary name renamed into place (a file, or a folder for the PEFT layout and a diffusers
 * folder). Where it goes:
 * <ul>
 *   <li>kohya: {@code OUT} must be a {@code .safetensors} file name;</li>
 *   <li>diffusers: a {@code .safetensors} file name, or a folder that gets
 *       {@code pytorch_lora_weights.safetensors} (what {@code load_lora_weights(folder)} looks for);</li>
 *   <li>PEFT: a folder with one adapter folder per component.</li>
 * </ul>
 * An existing file, or a folder that is not empty, is refused unless replacing is asked, and an
 * input is never replaced ({@link OutputPolicy}).
 */
final class LayoutWriter {

    private LayoutWriter() {}

    /**
     * Writes {@code modules} (with the header entries {@code metadata}) and returns the path written.
     *
     * @param overwrite replace an existing output (never one of {@code inputs}); see {@link OutputPolicy}
     * @param inputs    what was read, which the output may not replace
     */
    static Path write(Layout layout, List<DiffusionModule> modules, Map<String, String> metadata, Path out, boolean overwrite,
                      Path... inputs) {
        Map<Component, List<DiffusionModule>> byComponent = new EnumMap<>(Component.class);
        modules.forEach(m -> byComponent.computeIfAbsent(m.component(), k -> new ArrayList<>()).add(m));
        return switch (layout) {
            case KOHYA -> {
                requireFileName(out, "a kohya LoRA is one .safetensors file");
                yield writeFile(out, kohyaTensors(modules, byComponent.containsKey(Component.TEXT_ENCODER_2), sdxl(modules)),
                        withFormat(metadata), overwrite, inputs);
            }
            case DIFFUSERS -> {
                Map<String, Tensor> tensors = new LinkedHashMap<>();
                for (DiffusionModule m : modules) {
                    tensors.put(DiffusersLayout.downKey(m), m.down());
                    tensors.put(DiffusersLayout.upKey(m), m.up());
                }
                Map<String, String> header = DiffusersLayout.metadata(byComponent, metadata);
                if (isFileName(out)) {
                    yield writeFile(out, tensors, header, overwrite, inputs);
                }
                try (OutputDirectory dir = OutputDirectory.create(out, overwrite, inputs)) {
                    writeTensors(dir.path().resolve(DiffusersLayout.WEIGHTS_FILE), tensors, header);
                    dir.commit();
                }
                yield out;
            }
            case PEFT -> {
                try (OutputDirectory dir = OutputDirectory.create(out, overwrite, inputs)) {
                    for (Map.Entry<Component, List<DiffusionModule>> e : byComponent.entrySet()) {
                        Path sub = Files.createDirectories(dir.path().resolve(e.getKey().diffusersName()));
                        Map<String, Tensor> tensors = new LinkedHashMap<>();
                        for (DiffusionModule m : e.getValue()) {
                            tensors.put(PeftLayout.downKey(m), m.down());
                            tensors.put(PeftLayout.upKey(m), m.up());
                        }
                        writeTensors(sub.resolve(LoraAdapter.WEIGHTS_FILE), tensors, withFormat(metadata));
                        PeftLayout.config(e.getValue()).writeTo(sub);
                    }
                    dir.commit();
                } catch (IOException e) {
                    throw new DiffusionFormatException(out, "cannot write: " + e.getMessage());
                }
                yield out;
            }
        };
    }

    /** A kohya module's alpha as written: rsLoRA's scaling folded into a plain {@code alpha / r}. */
    static double kohyaAlpha(DiffusionModule m) {
        return m.rsLora() ? m.scaling() * m.rank() : m.alpha();
    }

    /**
     * Whether the LoRA is for SDXL, as far as its modules tell: a second text encoder or the
     * addition embedding. kohya files for SDXL name the UNet as sd-scripts does (sgm blocks): the
     * only spelling that diffusers, A1111 and ComfyUI all read for SDXL's {@code add_embedding}.
     */
    static boolean sdxl(List<DiffusionModule> modules) {
        return modules.stream().anyMatch(m -> m.component() == Component.TEXT_ENCODER_2
                || m.component() == Component.UNET && m.name().startsWith("add_embedding."));
    }

    private static Map<String, Tensor> kohyaTensors(List<DiffusionModule> modules, boolean twoTextEncoders, boolean sgm) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (DiffusionModule m : modules) {
            String stem = KohyaLayout.stem(m, twoTextEncoders, sgm);
            tensors.put(KohyaLayout.downKey(stem), m.down());
            tensors.put(KohyaLayout.upKey(stem), m.up());
            String alphaKey = KohyaLayout.alphaKey(stem);
            Tensor alpha = m.alphaTensor().filter(t -> !m.rsLora()).orElseGet(() -> Tensors.alpha(alphaKey, kohyaAlpha(m)));
            tensors.put(alphaKey, alpha);
        }
        return tensors;
    }

    private static Map<String, String> withFormat(Map<String, String> metadata) {
        Map<String, String> header = new LinkedHashMap<>(metadata);
        header.put("format", "pt");
        return header;
    }

    /** Whether {@code out} names a {@code .safetensors} file (else a folder). */
    static boolean isFileName(Path out) {
        return out.getFileName() != null && out.getFileName().toString().endsWith(".safetensors");
    }

    /** Refuses an output that may not be written, before any work. */
    static void checkOutput(Layout layout, Path out, boolean overwrite, Path... inputs) {
        if (layout == Layout.KOHYA) {
            requireFileName(out, "a kohya LoRA is one .safetensors file");
        }
        if (layout != Layout.PEFT && isFileName(out)) {
            OutputPolicy.checkFile(out, overwrite, inputs);
        } else {
            OutputPolicy.checkFolder(out, overwrite, inputs);
        }
    }

    private static void requireFileName(Path out, String why) {
        if (!isFileName(out)) {
            throw new DiffusionFormatException(out, why + "; give an output name ending in .safetensors");
        }
    }

    private static Path writeFile(Path out, Map<String, Tensor> tensors, Map<String, String> metadata, boolean overwrite,
                                  Path... inputs) {
        OutputPolicy.checkFile(out, overwrite, inputs);
        try {
            Path parent = out.toAbsolutePath().getParent();
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new DiffusionFormatException(out, "cannot create its folder: " + e.getMessage());
        }
        writeTensors(out, tensors, metadata);
        return out;
    }

    private static void writeTensors(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        List<TensorSpec> specs = new ArrayList<>();
        tensors.forEach((name, t) -> specs.add(new TensorSpec(name, t.dtype(), t.shape())));
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, specs, metadata)) {
            tensors.forEach((name, t) -> writer.write(name, t.data()));
            writer.commit();
        }
    }
}

package io.peft4j.diffusion;

import io.peft4j.peft.LoraAdapter;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.TensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A LoRA for a Stable Diffusion 1.x/2.x or SDXL pipeline, read from any {@link Layout}: its modules
 * per component under their canonical names, each with its own rank and alpha. The layout is
 * detected from the keys; a key that is not a LoRA weight of a known module is an error naming it,
 * never skipped. Tensors stay memory-mapped until {@link #close()}.
 *
 * <p>What {@link #load} accepts: a {@code .safetensors} file in the kohya or diffusers layout; a
 * folder holding one such file ({@code pytorch_lora_weights.safetensors} first, as diffusers
 * looks); a PEFT layout folder. Pickle files are never read.
 */
public final class DiffusionLora implements AutoCloseable {

    /** {@code layers_per_block} of the SD 1.x, 2.x and SDXL UNets, for kohya's SDXL (sgm) block names. */
    public static final int DEFAULT_LAYERS_PER_BLOCK = 2;

    private final Path path;
    private final Layout layout;
    private final List<DiffusionModule> modules;
    private final Map<String, String> metadata;
    private final Set<String> notLoadedByDiffusers;
    private final List<AutoCloseable> resources;

    private DiffusionLora(Path path, Layout layout, List<DiffusionModule> modules, Map<String, String> metadata,
                          Set<String> notLoadedByDiffusers, List<AutoCloseable> resources) {
        this.path = path;
        this.layout = layout;
        this.modules = List.copyOf(modules);
        this.metadata = metadata;
        this.notLoadedByDiffusers = Set.copyOf(notLoadedByDiffusers);
        this.resources = resources;
    }

    /** Loads {@code path}, mapping kohya's SDXL block names with {@link #DEFAULT_LAYERS_PER_BLOCK}. */
    public static DiffusionLora load(Path path) {
        return load(path, DEFAULT_LAYERS_PER_BLOCK);
    }

    /**
     * Loads {@code path}.
     *
     * @param layersPerBlock the UNet's {@code layers_per_block}, used only for kohya's SDXL (sgm) block names
     * @throws DiffusionFormatException for anything that is not a diffusion LoRA peft4j can read, naming the key
     */
    public static DiffusionLora load(Path path, int layersPerBlock) {
        if (Files.isDirectory(path)) {
            Map<Component, Path> folders = PeftLayout.componentFolders(path);
            if (!folders.isEmpty()) {
                List<AutoCloseable> open = new ArrayList<>();
                List<LoraAdapter> adapters = new ArrayList<>();
                try {
                    List<DiffusionModule> modules = PeftLayout.read(path, folders, layersPerBlock, adapters);
                    open.addAll(adapters);
                    Map<String, String> metadata = new LinkedHashMap<>();
                    adapters.forEach(a -> metadata.putAll(a.tensors().metadata()));
                    metadata.remove("format");
                    return checked(path, new DiffusionLora(path, Layout.PEFT, modules, metadata, Set.of(), open));
                } catch (RuntimeException e) {
                    adapters.forEach(LoraAdapter::close);
                    throw e;
                }
            }
            return load(weightsFileIn(path), layersPerBlock);
        }
        if (!Files.isRegularFile(path)) {
            throw new DiffusionFormatException(path, "no such file or folder");
        }
        if (!path.getFileName().toString().endsWith(".safetensors")) {
            throw new DiffusionFormatException(path, "not a .safetensors file (pickled .bin/.pt/.ckpt files are never"
                    + " loaded: they can run code)");
        }
        SafetensorsFile file = SafetensorsFile.open(path);
        try {
            Layout layout = detect(path, file);
            List<DiffusionModule> modules = layout == Layout.KOHYA
                    ? KohyaLayout.read(path, file, layersPerBlock) : DiffusersLayout.read(path, file, layersPerBlock);
            Set<String> notLoaded = layout == Layout.DIFFUSERS
                    ? DiffusersLayout.notLoadedByDiffusers(file, layersPerBlock) : KohyaLayout.notLoadedByDiffusers(file);
            Map<String, String> metadata = new LinkedHashMap<>(file.metadata());
            metadata.remove("format");
            metadata.remove(DiffusersLayout.METADATA_KEY);
            return checked(path, new DiffusionLora(path, layout, modules, metadata, notLoaded, List.of(file)));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * Whether {@code path} looks like a diffusion LoRA (a kohya or diffusers file or folder, or a
     * PEFT layout folder with component sub-folders), judged from names and keys alone: what the
     * CLI uses to tell diffusion inputs from LLM adapters and models.
     */
    public static boolean looksLike(Path path) {
        try {
            if (Files.isDirectory(path)) {
                if (!PeftLayout.componentFolders(path).isEmpty()) {
                    return !Files.isRegularFile(path.resolve(io.peft4j.peft.AdapterConfig.FILE_NAME))
                            || Component.ofDiffusersName(String.valueOf(path.getFileName())) != null;
                }
                return Files.isRegularFile(path.resolve(DiffusersLayout.WEIGHTS_FILE));
            }
            if (!Files.isRegularFile(path) || !path.getFileName().toString().endsWith(".safetensors")) {
                return false;
            }
            try (SafetensorsFile file = SafetensorsFile.open(path)) {
                List<TensorInfo> tensors = file.tensors();
                return !tensors.isEmpty() && (tensors.stream().allMatch(t -> KohyaLayout.claims(t.name()))
                        || tensors.stream().allMatch(t -> DiffusersLayout.componentOf(t.name()) != null));
            }
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The LoRA weights file of a kohya or diffusers folder. */
    private static Path weightsFileIn(Path dir) {
        Path standard = dir.resolve(DiffusersLayout.WEIGHTS_FILE);
        if (Files.isRegularFile(standard)) {
            return standard;
        }
        List<Path> files;
        try (var list = Files.list(dir)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (java.io.IOException e) {
            throw new DiffusionFormatException(dir, "cannot list: " + e.getMessage());
        }
        if (files.size() != 1) {
            throw new DiffusionFormatException(dir, files.isEmpty()
                    ? "no " + DiffusersLayout.WEIGHTS_FILE + ", no other .safetensors file and no PEFT adapter folders"
                    + " (unet/, text_encoder/, text_encoder_2/ with adapter_config.json)"
                    : "several .safetensors files and no " + DiffusersLayout.WEIGHTS_FILE + ": name the file");
        }
        return files.getFirst();
    }

    /** The layout of a single file, from its keys. */
    private static Layout detect(Path path, SafetensorsFile file) {
        List<TensorInfo> tensors = file.tensors();
        if (tensors.isEmpty()) {
            throw new DiffusionFormatException(path, "holds no tensors");
        }
        String first = tensors.getFirst().name();
        if (KohyaLayout.claims(first)) {
            return Layout.KOHYA;
        }
        if (DiffusersLayout.componentOf(first) != null) {
            return Layout.DIFFUSERS;
        }
        if (first.startsWith("base_model.model.")) {
            throw new DiffusionFormatException(path, "key " + first + " is a PEFT adapter's; give the adapter's folder"
                    + " (with adapter_config.json), or a folder of unet/, text_encoder/, text_encoder_2/ adapters");
        }
        throw new DiffusionFormatException(path, "key " + first + " is neither kohya (lora_unet_, lora_te_...) nor"
                + " diffusers (unet., text_encoder., text_encoder_2.)");
    }

    private static DiffusionLora checked(Path path, DiffusionLora lora) {
        if (lora.modules.isEmpty()) {
            lora.close();
            throw new DiffusionFormatException(path, "holds no LoRA modules");
        }
        return lora;
    }

    /** Where it was read from. */
    public Path path() {
        return path;
    }

    /** The layout it was read in. */
    public Layout layout() {
        return layout;
    }

    /** Every module, in the order of the file (components as they come). */
    public List<DiffusionModule> modules() {
        return modules;
    }

    /** The modules of each component present, in component order. */
    public Map<Component, List<DiffusionModule>> byComponent() {
        Map<Component, List<DiffusionModule>> map = new EnumMap<>(Component.class);
        modules.forEach(m -> map.computeIfAbsent(m.component(), k -> new ArrayList<>()).add(m));
        return map;
    }

    /** The module with this qualified name ({@code unet.down_blocks...}), if present. */
    public Optional<DiffusionModule> module(String qualifiedName) {
        return modules.stream().filter(m -> m.qualifiedName().equals(qualifiedName)).findFirst();
    }

    /**
     * The file's {@code __metadata__} other than {@code format} and diffusers' LoRA config (kohya's
     * {@code ss_*} training record, for instance), carried into whatever layout it is written in.
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The modules (qualified names) that diffusers 0.42.1 would not load from this file (see
     * {@link DiffusersQuirks}); empty for other layouts.
     */
    Set<String> notLoadedByDiffusers() {
        return notLoadedByDiffusers;
    }

    /**
     * Where diffusers 0.42.1's {@code load_lora_weights} would not do what the file means, one line
     * per module (a kohya alpha it reads otherwise, a key it does not load); peft4j follows the
     * file's meaning. Empty for most files.
     */
    public List<String> diffusersDepartures() {
        return DiffusersQuirks.of(this);
    }

    /** Trainable parameters: both factors of every module. */
    public long parameterCount() {
        return modules.stream().mapToLong(DiffusionModule::parameterCount).sum();
    }

    /** Unmaps the files; the modules' tensors must not be used afterwards. */
    @Override
    public void close() {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                // closing mapped files does not fail in practice; nothing to report
            }
        }
    }
}

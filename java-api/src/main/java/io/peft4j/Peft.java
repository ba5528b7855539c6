package io.peft4j;

import io.peft4j.diffusion.ConvertReport;
import io.peft4j.diffusion.DiffusionConverter;
import io.peft4j.diffusion.DiffusionInspection;
import io.peft4j.diffusion.DiffusionMergeOptions;
import io.peft4j.diffusion.DiffusionMergeReport;
import io.peft4j.diffusion.DiffusionMerger;
import io.peft4j.diffusion.DiffusionSoup;
import io.peft4j.diffusion.Layout;
import io.peft4j.estimate.Estimate;
import io.peft4j.estimate.Gpu;
import io.peft4j.estimate.ModelSource;
import io.peft4j.estimate.TrainingPlan;
import io.peft4j.extract.AdapterExtractor;
import io.peft4j.extract.ExtractOptions;
import io.peft4j.extract.ExtractReport;
import io.peft4j.inspect.AdapterDiff;
import io.peft4j.inspect.AdapterStats;
import io.peft4j.inspect.DeltaStatistics;
import io.peft4j.hub.ModelRef;
import io.peft4j.gguf.GgufExport;
import io.peft4j.gguf.GgufImport;
import io.peft4j.gguf.GgufOutType;
import io.peft4j.gguf.LlamaCppCompatibility;
import io.peft4j.gguf.LlamaCppLoraExporter;
import io.peft4j.gguf.LlamaCppLoraImporter;
import io.peft4j.gguf.LlamaCppReport;
import io.peft4j.inspect.Inspection;
import io.peft4j.inspect.Inspector;
import io.peft4j.merge.BaseMerger;
import io.peft4j.merge.LoraSoup;
import io.peft4j.merge.MergeOptions;
import io.peft4j.merge.MergeReport;
import io.peft4j.merge.SoupOptions;
import io.peft4j.merge.SoupReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The peft4j facade: one static entry point per capability.
 *
 * <p>Training, generation and evaluation run in the embedded Python (PEFT, transformers) through
 * the bridge; calls from several Java threads are safe and run one after another.
 */
public final class Peft {

    private Peft() {}

    /**
     * Merges adapters into a base model's weights in pure Java, streaming tensor by tensor, as PEFT's
     * {@code merge_and_unload} does (bit-identical where torch's kernels sum each delta in peft4j's
     * order; see the README). Example:
     * {@code Peft.merge(MergeOptions.builder(base, out).adapter(adapterDir).build())}.
     */
    public static MergeReport merge(MergeOptions options) {
        return BaseMerger.merge(options);
    }

    /**
     * Combines adapters into a new PEFT adapter (PEFT's {@code add_weighted_adapter} methods or
     * ZipLoRA). Example:
     * {@code Peft.soup(SoupOptions.builder(SoupMethod.SVD, out).adapter(a, 0.5).adapter(b, 0.5).build())}.
     */
    public static SoupReport soup(SoupOptions options) {
        return LoraSoup.soup(options);
    }

    /**
     * Describes an image-generation LoRA (kohya, diffusers or PEFT layout): layout, components
     * ({@code unet}, {@code te1}, {@code te2}), ranks and alphas per module, and where diffusers
     * would read it otherwise than it means. Pure Java. Example:
     * {@code Peft.inspectDiffusionLora(Path.of("style.safetensors")).components()}.
     */
    public static DiffusionInspection inspectDiffusionLora(Path lora) {
        return DiffusionInspection.of(lora);
    }

    /**
     * Converts an image-generation LoRA to another layout, factors byte for byte and alpha per
     * module exactly; refuses (a {@link io.peft4j.diffusion.DiffusionFormatException}) what the
     * target cannot hold unless {@code lossy}. Example:
     * {@code Peft.convertDiffusionLora(in, Layout.DIFFUSERS, out, false, 2)}.
     *
     * @param layersPerBlock the UNet's {@code layers_per_block} for SDXL files with sd-scripts' block names (2)
     */
    public static ConvertReport convertDiffusionLora(Path in, Layout to, Path out, boolean lossy, int layersPerBlock) {
        return DiffusionConverter.convert(in, to, out, lossy, layersPerBlock);
    }

    /**
     * Merges image-generation LoRAs (any layout) into a diffusers model folder, streaming tensor by
     * tensor with the numbers of diffusers' {@code fuse_lora}. Example:
     * {@code Peft.mergeDiffusion(DiffusionMergeOptions.builder(model, out).lora(lora, 1.0).build())}.
     */
    public static DiffusionMergeReport mergeDiffusion(DiffusionMergeOptions options) {
        return DiffusionMerger.merge(options);
    }

    /**
     * Makes a soup (every {@link io.peft4j.merge.SoupMethod}, ZipLoRA included) of image-generation
     * LoRAs in any layouts, written in layout {@code to} (the first input's when null). Example:
     * {@code Peft.soupDiffusion(SoupOptions.builder(SoupMethod.ZIPLORA, out).adapter(subject, 1).adapter(style, 1).build(), Layout.KOHYA)}.
     */
    public static SoupReport soupDiffusion(SoupOptions options, Layout to) {
        return DiffusionSoup.soup(options, to);
    }

    /**
     * Extracts a LoRA adapter from a fine-tuned model (the task vector {@code TUNED - BASE} of every
     * targeted linear module, truncated to a rank or an energy fraction), or re-factors an adapter
     * into a plain LoRA; streaming, one module at a time. Example:
     * {@code Peft.extract(ExtractOptions.fromModels(base, tuned, out).maxRank(32).energy(0.9).build())}.
     * The report gives per module the rank chosen, the energy kept and the relative error.
     */
    public static ExtractReport extract(ExtractOptions options) {
        return AdapterExtractor.extract(options);
    }

    /**
     * Per module of a LoRA adapter: the norm of its update {@code s * B @ A}, its effective rank and
     * the ranks holding 90 % and 99 % of its energy (exact, in factor space).
     */
    public static AdapterStats adapterStats(Path adapter) {
        return DeltaStatistics.of(adapter);
    }

    /**
     * Compares two LoRA adapters module by module: norms, the cosine similarity of their updates on
     * shared modules, and the modules where they differ most (before souping them, for instance).
     */
    public static AdapterDiff diff(Path first, Path second) {
        return DeltaStatistics.diff(first, second);
    }

    /**
     * Trains an adapter and waits for it. Interrupting the calling thread cancels the run (it stops
     * after its current step) and throws.
     *
     * @throws TrainConfigException for settings that cannot work, including a non-empty output
     *     directory without {@link TrainConfig.Builder#overwrite(boolean) overwrite}
     * @throws io.peft4j.data.DatasetFormatException for a malformed data file
     * @throws io.peft4j.bridge.PythonException for errors raised in Python, with the traceback
     */
    public static TrainResult train(TrainConfig config) {
        return trainAsync(config, TrainingListener.none()).await();
    }

    /**
     * Trains an adapter and waits for it, reporting events to {@code listener}; an exception the
     * listener throws aborts the run and is thrown here as it was thrown.
     */
    public static TrainResult train(TrainConfig config, TrainingListener listener) {
        return trainAsync(config, listener).await();
    }

    /**
     * Starts training on a background thread; the handle cancels it or waits for its result. Every
     * line of the data is checked in Java first (a malformed line fails here, with its file and line
     * number, before any Python work starts), as are the data's format against the method and the
     * output directory against the overwrite policy. A {@linkplain TrainConfig#distributed()
     * distributed} run goes to torchrun/accelerate subprocesses. When training ends, {@code loss.png}
     * is drawn beside {@code metrics.jsonl} before {@link TrainingListener#onEnd} is called. A base
     * model given as a Hub id is downloaded (or found in the cache) here, before training starts.
     *
     * @throws TrainConfigException for data of the wrong format or an output directory that is not free
     * @throws io.peft4j.data.DatasetFormatException for a malformed data file
     */
    public static TrainingHandle trainAsync(TrainConfig config, TrainingListener listener) {
        config = withLocalBaseModel(config);
        TrainRequest request = TrainingPreflight.request(config);
        TrainMemoryCheck.warning(config).ifPresent(LoggerFactory.getLogger(Peft.class)::warn);
        if (config.distributed().isPresent()) {
            return DistributedLauncher.start(request, listener);
        }
        return PythonTraining.start(request, listener);
    }

    /** {@code config} with a Hub id base model replaced by its snapshot folder (downloaded or found in the cache). */
    private static TrainConfig withLocalBaseModel(TrainConfig config) {
        if (Files.isDirectory(config.baseModel())) {
            return config;
        }
        return config.toBuilder().baseModel(ModelRef.resolve(config.baseModel().toString())).build();
    }

    /**
     * Generates text from {@code base} with zero, one or several adapters. The arguments are checked
     * in Java first.
     *
     * @throws GenerateOptionsException for a missing base directory or weights that do not match the adapters
     * @throws io.peft4j.peft.AdapterFormatException for a folder that is not a PEFT adapter
     */
    public static Generation generate(Path base, List<Path> adapters, String prompt, GenerateOptions options) {
        return PythonInference.generate(base, adapters, prompt, options);
    }

    /**
     * The loss and perplexity of {@code base} plus {@code adapter} (null for the base alone) on a
     * JSONL set, in batches of 8 examples of at most 512 tokens, counting the tokens training trains on.
     *
     * @throws GenerateOptionsException for a missing base directory or data file
     * @throws io.peft4j.peft.AdapterFormatException for a folder that is not a PEFT adapter
     * @throws io.peft4j.data.DatasetFormatException for a malformed data file
     */
    public static EvalResult evaluate(Path base, Path adapter, Path data) {
        return PythonInference.evaluate(base, adapter, data, 8, 512);
    }

    /**
     * Estimates parameters, peak training memory and, with a GPU, the fit and time per epoch, from the
     * model's config alone (pure Java, no weights downloaded, no Python).
     *
     * @param base           a model directory, a config.json, or a Hub id (cached, bundled, or config.json fetched)
     * @param plan           method, rank, targets, precision, optimizer and batch shape
     * @param gpu            the GPU to check against, or null
     * @param tokensPerEpoch tokens per epoch for the time estimate, or 0
     * @param mfu            model FLOPs utilisation to assume, or null for the method's default
     */
    public static Estimate estimate(String base, TrainingPlan plan, Gpu gpu, long tokensPerEpoch, Double mfu) {
        return Estimate.of(ModelSource.resolve(base), plan, gpu, tokensPerEpoch, mfu);
    }

    /** Estimates memory only: {@link #estimate(String, TrainingPlan, Gpu, long, Double)} without GPU or time. */
    public static Estimate estimate(String base, TrainingPlan plan) {
        return estimate(base, plan, null, 0, null);
    }

    /**
     * The tensors, totals and metadata of a {@code .safetensors} file, a sharded model, a PEFT
     * adapter directory (with its configuration per module) or a GGUF file (pure Java).
     */
    public static Inspection inspect(Path path) {
        return Inspector.inspect(path);
    }

    /**
     * Writes a PEFT LoRA adapter as the GGUF adapter llama.cpp, Ollama and LM Studio load, as
     * llama.cpp's {@code convert_lora_to_gguf.py} does (pure Java; see {@link LlamaCppLoraExporter}).
     * Example: {@code Peft.exportGguf(adapterDir, baseDir, Path.of("adapter.gguf"), GgufOutType.F16)}.
     *
     * @param base the base model's directory or {@code config.json} (only the config is read), or
     *             null for the adapter's {@code base_model_name_or_path} when that is local
     * @throws io.peft4j.gguf.LlamaCppException if llama.cpp cannot hold the adapter, saying what to do instead
     */
    public static GgufExport exportGguf(Path adapter, Path base, Path out, GgufOutType outType) {
        return LlamaCppLoraExporter.export(adapter, base, out, outType);
    }

    /**
     * Imports a llama.cpp LoRA adapter GGUF as a new PEFT adapter directory (pure Java; see
     * {@link LlamaCppLoraImporter}).
     *
     * @param base the base model's directory or {@code config.json}, for the module names
     */
    public static GgufImport importGguf(Path gguf, Path base, Path out) {
        return LlamaCppLoraImporter.importAdapter(gguf, base, out);
    }

    /**
     * Every reason llama.cpp would not load {@code adapter} (a PEFT adapter directory, once exported,
     * or a GGUF adapter file).
     *
     * @param base the base model's directory or {@code config.json}, or null (see {@link LlamaCppCompatibility#check})
     */
    public static LlamaCppReport checkLlamaCpp(Path adapter, Path base) {
        return LlamaCppCompatibility.check(adapter, base);
    }
}

package io.peft4j.examples.readme;

import io.peft4j.GenerateOptions;
import io.peft4j.Peft;
import io.peft4j.TrainConfig;
import io.peft4j.TrainResult;
import io.peft4j.TrainStep;
import io.peft4j.TrainingHandle;
import io.peft4j.TrainingListener;
import io.peft4j.estimate.Estimate;
import io.peft4j.estimate.Gpu;
import io.peft4j.estimate.LoraTargets;
import io.peft4j.estimate.Method;
import io.peft4j.estimate.TrainingPlan;
import io.peft4j.gguf.GgufExport;
import io.peft4j.gguf.GgufOutType;
import io.peft4j.hub.HubClient;
import io.peft4j.hub.ModelSummary;
import io.peft4j.hub.SearchQuery;
import io.peft4j.merge.BaseMerger;
import io.peft4j.merge.LoraSoup;
import io.peft4j.merge.MergeOptions;
import io.peft4j.merge.SoupMethod;
import io.peft4j.merge.SoupOptions;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import java.nio.file.Path;
import java.util.List;

/**
 * The Java snippets of the README, compiled with the build so they cannot rot: a test checks that
 * every {@code java} block of README.md appears here verbatim (bar indentation).
 */
public final class ReadmeSnippets {

    private ReadmeSnippets() {}

    /** README: training. */
    static void train() {
        TrainConfig config = TrainConfig.builder()
                .baseModel(Path.of("models/tiny"))           // a local directory
                .data(Path.of("train.jsonl"))                 // {"text"}, {"prompt","completion"} or {"messages"}
                .outputDir(Path.of("out/my-lora"))
                .method("lora").rank(16).alpha(32)
                .targets(TrainConfig.Targets.allLinear())
                .maxSteps(200).learningRate(2e-4).batchSize(4)
                .build();
        TrainingHandle run = Peft.trainAsync(config, new TrainingListener() {
            @Override
            public void onStep(TrainStep step) {
                System.out.printf("step %d/%d loss %.3f eta %s%n", step.step(), step.maxSteps(), step.loss(), step.eta());
            }
        });
        TrainResult result = run.await();                    // run.cancel() stops within a step, with a checkpoint
        String answer = Peft.generate(Path.of("models/tiny"), List.of(result.adapterDir()),
                "Q: What is the capital of France?\nA:", GenerateOptions.defaults()).text();
        System.out.println(answer);
    }

    /** README: an adapter for llama.cpp and Ollama. */
    static GgufExport gguf() {
        GgufExport gguf = Peft.exportGguf(Path.of("out/my-lora"), Path.of("models/tiny"),
                Path.of("out/my-lora.gguf"), GgufOutType.F16);   // Peft.importGguf, Peft.checkLlamaCpp, Peft.inspect too
        return gguf;
    }

    /** README: merging and souping. */
    static void merge() {
        BaseMerger.merge(MergeOptions.builder(Path.of("models/base"), Path.of("out/merged"))
                .adapter(Path.of("adapters/a"), 1.0)
                .build());                                    // streams tensor by tensor; bit-identical to PEFT
        LoraSoup.soup(SoupOptions.builder(SoupMethod.TIES, Path.of("out/soup"))
                .adapter(Path.of("adapters/a"), 0.6)
                .adapter(Path.of("adapters/b"), 0.4)
                .density(0.5)
                .build());                                    // a PEFT adapter directory PEFT loads
    }

    /** README: reading an adapter. */
    static void inspect() {
        try (LoraAdapter adapter = LoraAdapter.load(Path.of("adapters/a"))) {
            for (LoraModule m : adapter.modules()) {
                float[] delta = m.deltaWeight();              // scaling * B @ A, laid out like the base weight
                System.out.println(m.baseWeightName() + " r=" + m.rank() + " scaling=" + m.scaling() + " " + delta.length);
            }
        }
    }

    /** README: the Hub. */
    static void hub() {
        HubClient hub = HubClient.builder().build();         // HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE as in Python
        List<ModelSummary> adapters = hub.search(SearchQuery.builder()
                .adaptersOf("meta-llama/Llama-3.2-1B").sort(SearchQuery.Sort.DOWNLOADS).limit(10).build()).toList();
        Path local = hub.snapshot(adapters.get(0).id(), "main", List.of("*.json", "*.safetensors"));
        System.out.println(local);
    }

    /** README: estimates. */
    static void estimate() {
        Estimate e = Peft.estimate("meta-llama/Meta-Llama-3-8B", TrainingPlan.builder()
                .method(Method.QLORA).rank(16).targets(LoraTargets.allLinear())
                .batchSize(1).seqLen(2048).gradientCheckpointing(true).build(),
                Gpu.named("RTX-4090"), 20_000_000L, null);
        System.out.println(e.toTable());
    }
}

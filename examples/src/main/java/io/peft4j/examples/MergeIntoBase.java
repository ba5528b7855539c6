package io.peft4j.examples;

import io.peft4j.GenerateOptions;
import io.peft4j.Peft;
import io.peft4j.merge.BaseMerger;
import io.peft4j.merge.MergeOptions;
import io.peft4j.merge.MergeReport;
import java.nio.file.Path;
import java.util.List;

/**
 * Merges a LoRA adapter into its base model in pure Java ({@link BaseMerger}: streaming, tensor by
 * tensor, no Python), then checks through the embedded Python that the merged model alone generates
 * the same greedy text as the base with the adapter ({@link Peft#generate}). The merged directory is
 * a plain transformers checkpoint: load it anywhere without PEFT.
 *
 * <p>Run with your own model and adapter (the output directory must not exist):
 * <pre>
 * examples/run MergeIntoBase BASE_DIR ADAPTER_DIR OUT_DIR ["PROMPT"]
 * </pre>
 * {@code examples/run} builds with {@code mvn -q -pl examples -am package -DskipTests} and runs
 * {@code java --enable-native-access=ALL-UNNAMED -cp "examples/target/classes:java-api/target/classes:java-api/target/lib/*" io.peft4j.examples.MergeIntoBase ...}.
 * Exit status 1 when the texts differ.
 */
public final class MergeIntoBase {

    private MergeIntoBase() {}

    /**
     * What the merge wrote and the two greedy continuations of the prompt.
     *
     * @param report the merge's report
     * @param withAdapter base plus adapter
     * @param merged the merged model alone
     */
    public record Outcome(MergeReport report, String withAdapter, String merged) {

        /** Whether the merged model generated what the base with the adapter did. */
        public boolean same() {
            return withAdapter.equals(merged);
        }
    }

    /** Merges {@code adapter} into {@code base} at {@code out} and generates 24 greedy tokens from {@code prompt} both ways. */
    public static Outcome mergeAndCheck(Path base, Path adapter, Path out, String prompt) {
        MergeReport report = BaseMerger.merge(MergeOptions.builder(base, out).adapter(adapter).build());
        GenerateOptions greedy = GenerateOptions.defaults().withMaxNewTokens(24);
        String withAdapter = Peft.generate(base, List.of(adapter), prompt, greedy).text();
        String merged = Peft.generate(out, List.of(), prompt, greedy).text();
        return new Outcome(report, withAdapter, merged);
    }

    /** Usage: {@code MergeIntoBase BASE_DIR ADAPTER_DIR OUT_DIR [PROMPT]}. */
    public static void main(String[] args) {
        if (args.length < 3 || args.length > 4) {
            System.err.println("usage: MergeIntoBase BASE_DIR ADAPTER_DIR OUT_DIR [PROMPT]");
            System.exit(2);
        }
        String prompt = args.length > 3 ? args[3] : "Hello";
        Outcome o = mergeAndCheck(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), prompt);
        System.out.printf("merged %d of %d tensors into %s (%d shard(s), %d bytes)%n", o.report().changed(), o.report().tensors(),
                o.report().out(), o.report().shards(), o.report().bytes());
        o.report().warnings().forEach(w -> System.out.println("warning: " + w));
        System.out.println("base + adapter: " + o.withAdapter());
        System.out.println("merged model:   " + o.merged());
        System.out.println(o.same() ? "same greedy text: the merge is faithful" : "DIFFERENT greedy text");
        System.exit(o.same() ? 0 : 1);
    }
}

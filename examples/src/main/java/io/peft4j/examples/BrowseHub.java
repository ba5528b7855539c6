package io.peft4j.examples;

import io.peft4j.hub.HubClient;
import io.peft4j.hub.ModelSummary;
import io.peft4j.hub.SearchQuery;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Lists the PEFT adapters of a base model on the Hugging Face Hub, most downloaded first, as a
 * table: {@link HubClient#search} with {@link SearchQuery.Builder#adaptersOf} (the Hub's
 * {@code filter=peft&filter=base_model:adapter:BASE}). {@code HF_ENDPOINT} and {@code HF_TOKEN}
 * apply as in Python.
 *
 * <p>Against the real Hub: {@code examples/run BrowseHub meta-llama/Llama-3.2-1B 20}. Offline,
 * against a local Hub serving adapter folders (each {@code DIR/owner/name/} holding an
 * {@code adapter_config.json} whose {@code base_model_name_or_path} is the base):
 * <pre>
 * examples/run io.peft4j.hub.testing.LocalHub --port 8765 --repos DIR     # in one terminal
 * HF_ENDPOINT=http://127.0.0.1:8765 examples/run BrowseHub BASE_ID         # in another
 * </pre>
 * {@code examples/run} builds with {@code mvn -q -pl examples -am package -DskipTests} and runs
 * {@code java --enable-native-access=ALL-UNNAMED -cp "examples/target/classes:java-api/target/classes:java-api/target/lib/*" CLASS ARGS}.
 */
public final class BrowseHub {

    private BrowseHub() {}

    /** Usage: {@code BrowseHub BASE_MODEL_ID [LIMIT]} (default limit 20). */
    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: BrowseHub BASE_MODEL_ID [LIMIT]");
            System.exit(2);
        }
        int limit = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        try (HubClient hub = HubClient.builder().build()) {
            List<ModelSummary> adapters = adaptersOf(hub, args[0], limit);
            System.out.println(adapters.size() + " adapter(s) of " + args[0] + " on " + hub.endpoint() + ":");
            printTable(adapters, System.out);
        }
    }

    /** The adapters of {@code baseModel}, most downloaded first, at most {@code limit}. */
    public static List<ModelSummary> adaptersOf(HubClient hub, String baseModel, int limit) {
        return hub.search(SearchQuery.builder().adaptersOf(baseModel).sort(SearchQuery.Sort.DOWNLOADS).limit(limit).build())
                .toList();
    }

    /** Prints one row per adapter: id, downloads, likes, last modified (date), gated. */
    public static void printTable(List<ModelSummary> adapters, PrintStream out) {
        int width = Math.max("ADAPTER".length(), adapters.stream().mapToInt(m -> m.id().length()).max().orElse(0));
        String row = "%-" + width + "s  %10s  %6s  %-10s  %s%n";
        out.printf(Locale.ROOT, row, "ADAPTER", "DOWNLOADS", "LIKES", "MODIFIED", "GATED");
        for (ModelSummary m : adapters) {
            String modified = m.lastModified() == null ? "" : m.lastModified().substring(0, Math.min(10, m.lastModified().length()));
            out.printf(Locale.ROOT, row, m.id(), m.downloads(), m.likes(), modified, m.gated() ? "yes" : "");
        }
    }
}

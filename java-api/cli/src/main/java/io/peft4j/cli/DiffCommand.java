package io.peft4j.cli;

import io.peft4j.Peft;
import io.peft4j.inspect.AdapterDiff;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j diff A B [--json] [--all]}: two LoRA adapters compared module by module (norms of
 * their updates, cosine similarity, the modules where they differ most), exact and in factor space.
 */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = "Compare two LoRA adapters module by module: update norms, cosine similarity, where they differ most.")
final class DiffCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "A", description = "First adapter directory or Hub id.")
    String first;

    @Parameters(index = "1", paramLabel = "B", description = "Second adapter directory or Hub id.")
    String second;

    @Option(names = "--json", description = "Print one JSON object (both adapters' statistics and the comparison).")
    boolean json;

    @Option(names = "--all", description = "List every shared module (the table shows the 20 most different).")
    boolean all;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        AdapterDiff diff = Peft.diff(HubIds.resolve(first), HubIds.resolve(second));
        if (json) {
            spec.commandLine().getOut().println(DeltaStatsText.json(diff));
        } else {
            spec.commandLine().getOut().print(new DeltaStatsText(all ? Integer.MAX_VALUE : 20).render(diff));
        }
        return 0;
    }
}

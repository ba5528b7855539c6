package io.peft4j.cli;

import io.peft4j.hub.HubClient;
import io.peft4j.merge.WeightedAdapter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Lets commands take a Hugging Face Hub id ({@code owner/name[@revision]}) wherever they take a
 * model or adapter directory: an existing local path wins; anything else is downloaded into the
 * shared Hugging Face cache through {@link HubClient#resolveModel}.
 */
final class HubIds {

    private HubIds() {}

    /** A local directory for {@code pathOrId}. */
    static Path resolve(String pathOrId) {
        if (Files.exists(Path.of(pathOrId))) {
            return Path.of(pathOrId);
        }
        return HubClient.builder().build().resolveModel(pathOrId);
    }

    /** The adapter with its directory resolved (a Hub id becomes its cached snapshot). */
    static WeightedAdapter resolve(WeightedAdapter adapter) {
        return new WeightedAdapter(resolve(adapter.directory().toString()), adapter.weight());
    }
}

package io.peft4j.cli;

import io.peft4j.hub.ModelRef;
import io.peft4j.merge.WeightedAdapter;
import java.nio.file.Path;

/**
 * Lets commands take a Hugging Face Hub id ({@code owner/name[@revision]}) wherever they take a
 * model or adapter directory, by {@link ModelRef}'s rule: an existing local path wins; a Hub id is
 * downloaded into the shared Hugging Face cache.
 */
final class HubIds {

    private HubIds() {}

    /** A local directory for {@code pathOrId}. */
    static Path resolve(String pathOrId) {
        return ModelRef.resolve(pathOrId);
    }

    /** The adapter with its directory resolved (a Hub id becomes its cached snapshot). */
    static WeightedAdapter resolve(WeightedAdapter adapter) {
        return new WeightedAdapter(resolve(adapter.directory().toString()), adapter.weight());
    }
}

package io.peft4j.serve;

import io.peft4j.bridge.PythonRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The adapters a server knows (name to checked folder) and those loaded into the Python model, at
 * most {@code maxLoaded}, evicted least-recently-used. Every method runs under the pool's lock, and
 * the batcher holds that lock while it generates, so an adapter is never unloaded under a batch.
 */
final class AdapterPool {

    private final PythonRuntime python;
    private final long handle;
    private final int maxLoaded;
    private final ServeMetrics metrics;
    private final Map<String, Path> registered = new LinkedHashMap<>();
    private final LinkedHashMap<String, Boolean> loaded = new LinkedHashMap<>(16, 0.75f, true);

    AdapterPool(PythonRuntime python, long handle, int maxLoaded, ServeMetrics metrics) {
        this.python = python;
        this.handle = handle;
        this.maxLoaded = maxLoaded;
        this.metrics = metrics;
    }

    /** Registers a checked adapter folder under name. */
    synchronized void register(String name, Path dir) {
        if (registered.containsKey(name)) {
            throw ServeException.badRequest("The lora adapter '" + name + "' has already been loaded.");
        }
        registered.put(name, dir);
    }

    /** Forgets the adapter, unloading it from the model when loaded. */
    synchronized void unregister(String name) {
        if (registered.remove(name) == null) {
            throw ServeException.notFound("The lora adapter '" + name + "' cannot be found.");
        }
        if (loaded.remove(name) != null) {
            python.call("serve", "unload_adapter", handle, name);
        }
    }

    /** The registered adapters, name to folder, in registration order. */
    synchronized Map<String, Path> registered() {
        return new LinkedHashMap<>(registered);
    }

    /** The folder of a registered adapter. */
    synchronized Optional<Path> path(String name) {
        return Optional.ofNullable(registered.get(name));
    }

    /** The adapters loaded now, least recently used first. */
    synchronized List<String> loaded() {
        return new ArrayList<>(loaded.keySet());
    }

    /** The most adapters one batch may name. */
    int maxLoaded() {
        return maxLoaded;
    }

    /**
     * Makes every named adapter loaded (at most {@code maxLoaded} of them), evicting the least
     * recently used others first. Call with the pool's lock held.
     */
    void ensureLoaded(Collection<String> names) {
        for (String name : names) {
            if (loaded.get(name) != null) {
                continue;
            }
            while (loaded.size() >= maxLoaded) {
                String victim = loaded.keySet().stream().filter(n -> !names.contains(n)).findFirst()
                        .orElseThrow(() -> new IllegalStateException("a batch names more adapters than max-loaded"));
                loaded.remove(victim);
                python.call("serve", "unload_adapter", handle, victim);
                metrics.evicted();
            }
            python.call("serve", "load_adapter", handle, name, registered.get(name).toString());
            loaded.put(name, true);
            metrics.loaded();
        }
    }
}

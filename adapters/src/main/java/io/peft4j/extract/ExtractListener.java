package io.peft4j.extract;

/** Progress of an extraction, told after each module is decomposed (from worker threads). */
@FunctionalInterface
public interface ExtractListener {

    /** A listener that ignores everything. */
    ExtractListener NONE = (module, done, total) -> {};

    /** Module {@code module} is done; {@code done} of {@code total} modules are. */
    void moduleDone(String module, int done, int total);
}

package io.peft4j.merge;

import java.nio.file.Path;

/** Entry point for a forked JVM with a small heap: {@code BASE ADAPTER OUT}. */
final class HeapLimitedMerge {

    private HeapLimitedMerge() {}

    public static void main(String[] args) {
        BaseMerger.merge(MergeOptions.builder(Path.of(args[0]), Path.of(args[2])).adapter(Path.of(args[1])).build());
    }
}

package io.peft4j;

import io.peft4j.merge.BaseMerger;
import io.peft4j.merge.LoraSoup;
import io.peft4j.merge.MergeOptions;
import io.peft4j.merge.MergeReport;
import io.peft4j.merge.SoupOptions;
import io.peft4j.merge.SoupReport;

/** The peft4j facade: one static entry point per capability. */
public final class Peft {

    private Peft() {}

    /**
     * Merges adapters into a base model's weights in pure Java, streaming tensor by tensor,
     * bit-identical to PEFT's {@code merge_and_unload}. Example:
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
}

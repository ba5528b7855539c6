package io.peft4j.examples;

import io.peft4j.junit.PeftCheck;
import io.peft4j.junit.PeftTest;
import io.peft4j.junit.TinyModels;
import io.peft4j.merge.BaseMerger;
import io.peft4j.merge.LoraSoup;
import io.peft4j.merge.MergeOptions;
import io.peft4j.merge.SoupMethod;
import io.peft4j.merge.SoupOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a user checks their own Java results against PEFT in JUnit: add {@code @PeftTest}, take
 * {@link TinyModels} and {@link PeftCheck} as parameters, do the work in Java, and let PEFT (run
 * through the embedded Python) say whether it agrees. Copy this class into your project, with
 * {@code peft4j-java-api} and {@code junit-jupiter} as test dependencies.
 */
@PeftTest
class UserStyleIntegrationTest {

    /** A weighted merge of two adapters done in Java equals PEFT's merge_and_unload of the same. */
    @Test
    void javaMergeOfTwoWeightedAdaptersEqualsPefts(TinyModels tiny, PeftCheck check, @TempDir Path dir) {
        Path base = tiny.llama();
        Path cats = ExampleAdapters.cats(tiny);
        Path dogs = ExampleAdapters.dogs(tiny);
        Path merged = dir.resolve("merged");

        BaseMerger.merge(MergeOptions.builder(base, merged).adapter(cats, 0.7).adapter(dogs, 0.3).build());

        check.assertMergedEquals(merged, base, List.of(cats, dogs), List.of(0.7, 0.3));
    }

    /**
     * A soup made in Java ({@code cat}: the exact weighted sum of the updates) loads in PEFT as is,
     * and merging the soup gives the same weights as merging both adapters with those weights.
     */
    @Test
    void javaSoupLoadsInPeftAndMergesLikeItsParts(TinyModels tiny, PeftCheck check, @TempDir Path dir) {
        Path base = tiny.llama();
        Path cats = ExampleAdapters.cats(tiny);
        Path dogs = ExampleAdapters.dogs(tiny);
        Path soup = dir.resolve("soup");
        LoraSoup.soup(SoupOptions.builder(SoupMethod.CAT, soup).adapter(cats, 0.5).adapter(dogs, 0.5).build());

        check.assertLoadsInPeft(soup, base);

        Path soupMerged = dir.resolve("soup-merged");
        BaseMerger.merge(MergeOptions.builder(base, soupMerged).adapter(soup).build());
        check.assertMergedEquals(soupMerged, base, soup);
        Path partsMerged = dir.resolve("parts-merged");
        BaseMerger.merge(MergeOptions.builder(base, partsMerged).adapter(cats, 0.5).adapter(dogs, 0.5).build());
        check.assertTensorsClose(partsMerged, soupMerged, 1e-5, 1e-6);
    }
}

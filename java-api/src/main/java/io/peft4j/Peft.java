package io.peft4j;

import io.peft4j.estimate.Estimate;
import io.peft4j.estimate.Gpu;
import io.peft4j.estimate.ModelSource;
import io.peft4j.estimate.TrainingPlan;

/** The peft4j facade: one static entry point per capability. */
public final class Peft {

    private Peft() {}

    /**
     * Estimates parameters, peak training memory and, with a GPU, the fit and time per epoch, from the
     * model's config alone (pure Java, no download, no Python).
     *
     * @param base           a model directory, a config.json, or a Hub id (cached or bundled)
     * @param plan           method, rank, targets, precision, optimizer and batch shape
     * @param gpu            the GPU to check against, or null
     * @param tokensPerEpoch tokens per epoch for the time estimate, or 0
     * @param mfu            model FLOPs utilisation to assume, or null for the method's default
     */
    public static Estimate estimate(String base, TrainingPlan plan, Gpu gpu, long tokensPerEpoch, Double mfu) {
        return Estimate.of(ModelSource.resolve(base), plan, gpu, tokensPerEpoch, mfu);
    }

    /** Estimates memory only: {@link #estimate(String, TrainingPlan, Gpu, long, Double)} without GPU or time. */
    public static Estimate estimate(String base, TrainingPlan plan) {
        return estimate(base, plan, null, 0, null);
    }
}

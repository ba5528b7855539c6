package io.peft4j.inspect;

/**
 * The update one LoRA module makes, {@code delta = s * B @ A}, seen through its singular values.
 *
 * @param module        the module name
 * @param rank          the module's rank {@code r}
 * @param norm          {@code ||delta||_F}
 * @param effectiveRank the singular values above {@link DeltaStatistics#THRESHOLD} of the largest
 * @param rank90        the smallest rank keeping 90 % of {@code ||delta||_F^2}
 * @param rank99        the smallest rank keeping 99 %
 * @param topSingular   the largest singular value
 */
public record ModuleStats(String module, int rank, double norm, int effectiveRank, int rank90, int rank99,
                          double topSingular) {}

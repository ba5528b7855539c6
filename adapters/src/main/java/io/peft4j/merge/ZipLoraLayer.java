package io.peft4j.merge;

/**
 * What ZipLoRA did to one layer: its objective ({@link ZipLoraObjective}) at the plain sum
 * ({@code m1 = m2 = 1}) and after optimisation, and the two adapters' column overlap
 * ({@link ZipLoraObjective#columnOverlap}) before and after.
 *
 * @param module        the module name
 * @param initialLoss   the objective of the plain sum
 * @param finalLoss     the objective of the merge
 * @param overlapBefore the column overlap of the inputs
 * @param overlapAfter  the column overlap after scaling by the mergers
 */
public record ZipLoraLayer(String module, double initialLoss, double finalLoss, double overlapBefore, double overlapAfter) {}

package io.peft4j.merge;

/**
 * What ZipLoRA did to one layer: its objective ({@link ZipLoraObjective}) at the plain sum
 * ({@code m1 = m2 = 1}) and after optimisation, and how much the two adapters' columns overlap
 * before and after ({@link ZipLoraObjective#columnOverlap}: use of the same input features;
 * {@link ZipLoraObjective#columnAlignment}: cosine similarity of the column pairs).
 *
 * @param module          the module name
 * @param initialLoss     the objective of the plain sum
 * @param finalLoss       the objective of the merge
 * @param overlapBefore   the column overlap of the inputs
 * @param overlapAfter    the column overlap after scaling by the mergers
 * @param alignmentBefore the column alignment of the inputs
 * @param alignmentAfter  the column alignment after scaling by the mergers
 */
public record ZipLoraLayer(String module, double initialLoss, double finalLoss, double overlapBefore, double overlapAfter,
                           double alignmentBefore, double alignmentAfter) {}

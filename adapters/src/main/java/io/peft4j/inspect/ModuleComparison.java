package io.peft4j.inspect;

/**
 * Two adapters' updates to one module compared.
 *
 * @param module             the module name
 * @param normA              {@code ||delta_A||_F}
 * @param normB              {@code ||delta_B||_F}
 * @param cosine             {@code <delta_A, delta_B>_F / (||delta_A|| ||delta_B||)}: 1 same direction, 0 unrelated, -1 opposite
 * @param differenceNorm     {@code ||delta_A - delta_B||_F}
 * @param relativeDifference {@code ||delta_A - delta_B||_F / max(||delta_A||, ||delta_B||)}
 */
public record ModuleComparison(String module, double normA, double normB, double cosine, double differenceNorm,
                               double relativeDifference) {}

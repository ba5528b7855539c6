package io.peft4j.extract;

/**
 * What extraction did to one module.
 *
 * @param module        the module name, e.g. {@code model.layers.0.self_attn.q_proj}
 * @param rows          the update's output features
 * @param cols          the update's input features
 * @param rank          the rank kept
 * @param energyKept    the fraction of {@code ||delta||_F^2} the rank-{@code rank} factors keep
 * @param relativeError {@code ||delta - B @ A||_F / ||delta||_F}: below 5 % measured against the float32 factors
 *                      written; above, from the energy balance {@code ||delta||^2 - sum S_j^2} (to better than 0.1 %)
 * @param deltaNorm     {@code ||delta||_F}
 */
public record ModuleExtraction(String module, int rows, int cols, int rank, double energyKept, double relativeError,
                               double deltaNorm) {}

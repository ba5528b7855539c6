package io.peft4j.merge;

import java.util.Locale;
import java.util.Optional;

/**
 * The ways {@link LoraSoup} combines adapters, named as PEFT's {@code add_weighted_adapter}
 * {@code combination_type} (plus {@code ziplora}). With {@code c_i = w_i * s_i} (weight times the
 * adapter's scaling) and {@code f} the {@link Combination} of the method:
 *
 * <ul>
 *   <li>factor-space methods ({@code linear, ties, dare_linear, dare_ties, magnitude_prune}; equal
 *       ranks): {@code A = f([sign(c_i) sqrt|c_i| A_i], density)}, {@code B = f([sqrt|c_i| B_i])},
 *       A and B combined separately, so {@code linear} is not {@code sum w_i delta_i};</li>
 *   <li>{@code cat}: {@code A = [w_i s_i A_i] stacked by rows}, {@code B = [B_i] by columns}, rank
 *       {@code sum r_i}: exactly {@code sum_i w_i s_i B_i A_i};</li>
 *   <li>{@code svd} and the {@code *_svd} variants: {@code delta = f([s_i B_i A_i], w)} then the best
 *       rank-k approximation {@code B = U_k S_k}, {@code A = V_k^T} ({@code k} = the asked rank, else
 *       the largest input rank); for plain {@code svd} the product is decomposed through QR of the
 *       stacked factors ({@link LowRankSvd#ofProduct}), for the pruned ones by a dense SVD;</li>
 *   <li>{@code ziplora}: two adapters, column-wise mergers optimised per layer
 *       ({@link ZipLoraObjective}); {@code B = [s1 B1, s2 B2]}, {@code A = [A1 diag(m1); A2 diag(m2)]}.</li>
 * </ul>
 *
 * The result is written with {@code lora_alpha = r} (scaling 1), {@code use_rslora = false}: the
 * scaling of every input, rsLoRA included, is already inside the factors.
 */
public enum SoupMethod {
    /** Weighted sum of the A factors and of the B factors. */
    LINEAR(Combination.TASK_ARITHMETIC, Kind.FACTORS),
    /** Concatenation of the ranks: exact weighted sum of the updates. */
    CAT(null, Kind.CONCAT),
    /** Truncated SVD of the exact weighted sum of the updates. */
    SVD(Combination.TASK_ARITHMETIC, Kind.SVD),
    /** TIES on the A and B factors. */
    TIES(Combination.TIES, Kind.FACTORS),
    /** TIES on the updates, then truncated SVD. */
    TIES_SVD(Combination.TIES, Kind.SVD),
    /** DARE (random drop, rescale) and weighted sum on the A and B factors. */
    DARE_LINEAR(Combination.DARE_LINEAR, Kind.FACTORS),
    /** DARE then TIES on the A and B factors. */
    DARE_TIES(Combination.DARE_TIES, Kind.FACTORS),
    /** DARE and weighted sum on the updates, then truncated SVD. */
    DARE_LINEAR_SVD(Combination.DARE_LINEAR, Kind.SVD),
    /** DARE then TIES on the updates, then truncated SVD. */
    DARE_TIES_SVD(Combination.DARE_TIES, Kind.SVD),
    /** Magnitude pruning and weighted sum on the A and B factors. */
    MAGNITUDE_PRUNE(Combination.MAGNITUDE_PRUNE, Kind.FACTORS),
    /** Magnitude pruning and weighted sum on the updates, then truncated SVD. */
    MAGNITUDE_PRUNE_SVD(Combination.MAGNITUDE_PRUNE, Kind.SVD),
    /** ZipLoRA: two adapters, per-column mergers optimised with Adam. */
    ZIPLORA(null, Kind.ZIPLORA);

    /** How a method builds the new pair. */
    enum Kind { FACTORS, CONCAT, SVD, ZIPLORA }

    private final Combination combination;
    private final Kind kind;

    SoupMethod(Combination combination, Kind kind) {
        this.combination = combination;
        this.kind = kind;
    }

    /** The element-wise combination, if the method has one. */
    Optional<Combination> combination() {
        return Optional.ofNullable(combination);
    }

    Kind kind() {
        return kind;
    }

    /** Whether the method prunes and so needs a density. */
    public boolean needsDensity() {
        return combination != null && combination != Combination.TASK_ARITHMETIC;
    }

    /** Whether the method draws random numbers (DARE's drop mask). */
    boolean drawsRandomNumbers() {
        return combination == Combination.DARE_LINEAR || combination == Combination.DARE_TIES;
    }

    /** The name PEFT and the CLI use, e.g. {@code dare_ties_svd}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a CLI/PEFT name such as {@code ties_svd}. */
    public static SoupMethod parse(String name) {
        for (SoupMethod m : values()) {
            if (m.cliName().equals(name.toLowerCase(Locale.ROOT).replace('-', '_'))) {
                return m;
            }
        }
        throw new MergeException("unknown soup method '" + name + "'; use one of linear, cat, svd, ties, ties_svd,"
                + " dare_linear, dare_ties, dare_linear_svd, dare_ties_svd, magnitude_prune, magnitude_prune_svd, ziplora");
    }
}

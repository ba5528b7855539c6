package io.peft4j.extract;

import java.util.OptionalDouble;

/**
 * The rank of one module: the maximum rank, or with an energy fraction {@code F} the smallest rank
 * whose truncation keeps {@code F} of the update's squared Frobenius norm, never above the maximum.
 */
final class RankChoice {

    private RankChoice() {}

    /** The rank to keep of {@code f} under {@code maxRank} and the optional energy fraction. */
    static int choose(Factorization f, int maxRank, OptionalDouble energy) {
        int cap = Math.min(maxRank, f.width());
        double negligible = f.width() == 0 ? 0 : f.s()[0] * ProductSvd.NEGLIGIBLE;
        while (cap > 0 && f.s()[cap - 1] <= negligible) {
            cap--;
        }
        if (energy.isEmpty() || f.totalEnergy() <= 0) {
            return cap;
        }
        double target = energy.getAsDouble() * f.totalEnergy();
        double kept = 0;
        for (int k = 1; k <= cap; k++) {
            kept += f.s()[k - 1] * f.s()[k - 1];
            if (kept >= target) {
                return k;
            }
        }
        return cap;
    }
}

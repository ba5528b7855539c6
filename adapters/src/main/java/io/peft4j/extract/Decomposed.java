package io.peft4j.extract;

/**
 * One module after decomposition: its report row and its factors in PEFT's orientation
 * ({@code B} {@code [out, rank]}, {@code A} {@code [rank, in]}).
 */
record Decomposed(ModuleExtraction row, LowRankPair pair) {

    /** Truncates {@code f} to the rank the options choose and measures what is lost. */
    static Decomposed of(String module, Factorization f, ExtractOptions options, ResidualMeasure residual,
                         boolean transposed) {
        int k = RankChoice.choose(f, options.maxRank(), options.energy());
        LowRankPair pair = f.truncate(k);
        double total = f.totalEnergy();
        double lost = k == 0 ? total : Math.max(0, residual.squaredError(f, pair));
        double relative = total > 0 ? Math.sqrt(lost / total) : 0;
        double kept = total > 0 ? f.energy(k) / total : 1;
        LowRankPair oriented = transposed ? pair.transpose() : pair;
        return new Decomposed(new ModuleExtraction(module, oriented.rows(), oriented.cols(), k, Math.min(1, kept), relative,
                Math.sqrt(total)), oriented);
    }

    /** How the error of a truncation is measured. */
    @FunctionalInterface
    interface ResidualMeasure {
        /** {@code ||delta - B @ A||_F^2} for the truncation {@code pair} of {@code f}. */
        double squaredError(Factorization f, LowRankPair pair);
    }
}

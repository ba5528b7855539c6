package io.peft4j.extract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalDouble;
import java.util.function.IntToDoubleFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The randomized range finder against the exact SVD and the Eckart-Young optimum, on matrices whose
 * spectra decay slowly (a power law, like real fine-tuning deltas) and fast (geometric): the rank-r
 * error must be within 1 % of the optimum, and the error the report states must be the error of
 * the factors (checked against a dense product here).
 */
class RandomizedSvdTest {

    private static final int ROWS = 384;
    private static final int COLS = 256;

    private static SyntheticDelta delta(String decay) {
        IntToDoubleFunction spectrum = switch (decay) {
            case "slow" -> j -> 1 / Math.pow(j + 1, 0.5);
            case "medium" -> j -> 1 / Math.pow(j + 1, 1.0);
            case "fast" -> j -> Math.exp(-0.25 * j);
            default -> throw new IllegalArgumentException(decay);
        };
        return new SyntheticDelta(ROWS, COLS, IntStream.range(0, COLS).mapToDouble(spectrum).toArray(), 42);
    }

    @ParameterizedTest(name = "{0} decay, rank {1}")
    @CsvSource({"slow, 8", "slow, 32", "medium, 16", "fast, 8", "fast, 24"})
    void randomizedErrorIsWithinOnePercentOfTheOptimum(String decay, int rank) {
        SyntheticDelta d = delta(decay);
        double optimum = d.optimalError(rank);
        Factorization exact = ExactSvd.of(d);
        Factorization randomized = RandomizedSvd.of(d, rank + 10, 2, 7);
        double exactError = measured(d, exact.truncate(rank));
        double randomizedError = measured(d, randomized.truncate(rank));
        System.out.printf("%s decay rank %d: optimum %.6f exact %.6f randomized %.6f (ratio %.5f)%n", decay, rank, optimum,
                exactError, randomizedError, randomizedError / optimum);
        assertEquals(optimum, exactError, 1e-4 * optimum + 1e-6, "the exact SVD reaches the optimum");
        assertTrue(randomizedError <= 1.01 * optimum, "randomized " + randomizedError + " vs optimum " + optimum);
    }

    @ParameterizedTest(name = "{0} decay")
    @CsvSource({"slow", "fast"})
    void statedErrorIsTheErrorOfTheFactors(String decay) {
        SyntheticDelta d = delta(decay);
        ExtractOptions options = ExtractOptions.fromModels(java.nio.file.Path.of("b"), java.nio.file.Path.of("t"),
                java.nio.file.Path.of("o")).maxRank(12).build();
        Decomposed result = new ModuleWork.Streamed("m", ROWS, COLS, false, () -> d).decompose(options, 3);
        assertEquals(12, result.row().rank());
        double measured = measured(d, result.pair());
        assertEquals(measured, result.row().relativeError(), 1e-3 * measured, "stated " + result.row().relativeError()
                + ", measured " + measured);
        double energy = 1 - Math.pow(d.optimalError(12), 2);
        assertEquals(energy, result.row().energyKept(), 0.01 * (1 - energy) + 1e-6, "energy kept");
    }

    @ParameterizedTest(name = "energy {0} of a rank-10 matrix")
    @CsvSource({"0.5", "0.9", "0.999999"})
    void energyChoosesTheSmallestSufficientRank(double fraction) {
        double[] sigma = new double[COLS];
        for (int j = 0; j < 10; j++) {
            sigma[j] = 10 - j;
        }
        SyntheticDelta d = new SyntheticDelta(ROWS, COLS, sigma, 5);
        Factorization f = RandomizedSvd.of(d, 26, 2, 1);
        double total = IntStream.range(0, 10).mapToDouble(j -> sigma[j] * sigma[j]).sum();
        int expected = 0;
        for (double kept = 0; kept < fraction * total * (1 - 1e-6); expected++) {
            kept += sigma[expected] * sigma[expected];
        }
        assertEquals(expected, RankChoice.choose(f, 16, OptionalDouble.of(fraction)));
        assertEquals(10, RankChoice.choose(f, 16, OptionalDouble.empty()), "no rank beyond the matrix's");
        assertEquals(4, RankChoice.choose(f, 4, OptionalDouble.of(fraction == 0.5 ? 0.999 : fraction)), "capped by --rank");
    }

    /** {@code ||delta - B A||_F / ||delta||_F} with a dense product in float64. */
    static double measured(SyntheticDelta d, LowRankPair p) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < d.rows(); i++) {
            for (int j = 0; j < d.cols(); j++) {
                double x = 0;
                for (int k = 0; k < p.rank(); k++) {
                    x += (double) p.b()[i * p.rank() + k] * p.a()[k * d.cols() + j];
                }
                double v = d.values[i * d.cols() + j];
                num += (v - x) * (v - x);
                den += v * v;
            }
        }
        return Math.sqrt(num / den);
    }
}

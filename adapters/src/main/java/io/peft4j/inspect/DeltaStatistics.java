package io.peft4j.inspect;

import io.peft4j.extract.ProductSvd;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Statistics of LoRA updates {@code delta = s * B @ A}, computed in factor space so they are exact
 * and cost {@code O((out + in) r^2)} per module instead of forming {@code out x in} matrices: singular
 * values through QR of the factors and an SVD of the {@code r x r} core ({@link ProductSvd}); inner
 * products through traces of small Gram products, {@code <s1 B1 A1, s2 B2 A2>_F = s1 s2 tr((B1^T B2)(A2 A1^T))}.
 * DoRA modules are measured by their LoRA part only (their magnitude rescaling depends on the base).
 */
public final class DeltaStatistics {

    /** Singular values count towards the effective rank above this fraction of the largest (float32 resolution). */
    public static final double THRESHOLD = ProductSvd.NEGLIGIBLE;

    private DeltaStatistics() {}

    /** Statistics of every module of the adapter in {@code dir}. */
    public static AdapterStats of(Path dir) {
        try (LoraAdapter adapter = LoraAdapter.load(dir)) {
            return stats(adapter, factors(adapter));
        }
    }

    /** Both adapters' statistics and their comparison on the modules they share. */
    public static AdapterDiff diff(Path first, Path second) {
        try (LoraAdapter a = LoraAdapter.load(first); LoraAdapter b = LoraAdapter.load(second)) {
            Map<String, Factors> fa = factors(a);
            Map<String, Factors> fb = factors(b);
            List<ModuleComparison> shared = new ArrayList<>();
            List<String> onlyA = new ArrayList<>();
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (Map.Entry<String, Factors> e : fa.entrySet()) {
                Factors x = e.getValue();
                Factors y = fb.get(e.getKey());
                if (y == null) {
                    onlyA.add(e.getKey());
                    continue;
                }
                if (x.rows != y.rows || x.cols != y.cols) {
                    throw new io.peft4j.peft.AdapterFormatException(second, "module " + e.getKey() + " has shape "
                            + y.rows + "x" + y.cols + " but " + x.rows + "x" + x.cols + " in " + first + " (adapters of different models?)");
                }
                double xy = inner(x, y);
                double xx = inner(x, x);
                double yy = inner(y, y);
                dot += xy;
                na += xx;
                nb += yy;
                double difference = Math.sqrt(Math.max(0, xx + yy - 2 * xy));
                double larger = Math.sqrt(Math.max(xx, yy));
                shared.add(new ModuleComparison(e.getKey(), Math.sqrt(xx), Math.sqrt(yy), cosine(xy, xx, yy), difference,
                        larger > 0 ? difference / larger : 0));
            }
            shared.sort(Comparator.comparingDouble(ModuleComparison::relativeDifference).reversed());
            List<String> onlyB = fb.keySet().stream().filter(k -> !fa.containsKey(k)).toList();
            return new AdapterDiff(stats(a, fa), stats(b, fb), shared, onlyA, onlyB, cosine(dot, na, nb));
        }
    }

    private static double cosine(double xy, double xx, double yy) {
        return xx > 0 && yy > 0 ? Math.max(-1, Math.min(1, xy / Math.sqrt(xx * yy))) : 0;
    }

    /** A module's factors as float arrays with its scaling. */
    private record Factors(float[] b, float[] a, int rows, int rank, int cols, double scale) {}

    private static Map<String, Factors> factors(LoraAdapter adapter) {
        Map<String, Factors> out = new LinkedHashMap<>();
        for (LoraModule m : adapter.modules()) {
            int rows = Math.toIntExact(m.loraB().shape()[0]);
            int cols = Math.toIntExact(m.loraA().numel() / m.rank());
            out.put(m.moduleName(), new Factors(m.loraB().toFloatArray(), m.loraA().toFloatArray(), rows, m.rank(), cols, m.scaling()));
        }
        return out;
    }

    private static AdapterStats stats(LoraAdapter adapter, Map<String, Factors> factors) {
        List<ModuleStats> rows = new ArrayList<>();
        double total = 0;
        for (Map.Entry<String, Factors> e : factors.entrySet()) {
            Factors f = e.getValue();
            double[] s = ProductSvd.singularValues(f.b, f.a, f.rows, f.rank, f.cols, f.scale);
            double energy = Arrays.stream(s).map(x -> x * x).sum();
            total += energy;
            double top = s.length == 0 ? 0 : s[0];
            int effective = (int) Arrays.stream(s).filter(x -> x > THRESHOLD * top && x > 0).count();
            rows.add(new ModuleStats(e.getKey(), f.rank, Math.sqrt(energy), effective, energyRank(s, energy, 0.90),
                    energyRank(s, energy, 0.99), top));
        }
        return new AdapterStats(adapter.directory().toString(),
                "singular values above " + THRESHOLD + " x the largest", rows, Math.sqrt(total));
    }

    /** The smallest k whose leading singular values hold {@code fraction} of {@code energy}. */
    static int energyRank(double[] s, double energy, double fraction) {
        double kept = 0;
        for (int k = 0; k < s.length; k++) {
            kept += s[k] * s[k];
            if (kept >= fraction * energy) {
                return k + 1;
            }
        }
        return s.length;
    }

    /** {@code <x, y>_F = sx sy tr((Bx^T By)(Ay Ax^T))}. */
    private static double inner(Factors x, Factors y) {
        double[] bb = new double[x.rank * y.rank]; // Bx^T By, rx x ry
        for (int o = 0; o < x.rows; o++) {
            for (int i = 0; i < x.rank; i++) {
                double bx = x.b[o * x.rank + i];
                for (int j = 0; j < y.rank; j++) {
                    bb[i * y.rank + j] += bx * y.b[o * y.rank + j];
                }
            }
        }
        double[] aa = new double[y.rank * x.rank]; // Ay Ax^T, ry x rx
        for (int j = 0; j < y.rank; j++) {
            for (int i = 0; i < x.rank; i++) {
                double sum = 0;
                int aj = j * y.cols;
                int ai = i * x.cols;
                for (int c = 0; c < x.cols; c++) {
                    sum += (double) y.a[aj + c] * x.a[ai + c];
                }
                aa[j * x.rank + i] = sum;
            }
        }
        double trace = 0;
        for (int i = 0; i < x.rank; i++) {
            for (int j = 0; j < y.rank; j++) {
                trace += bb[i * y.rank + j] * aa[j * x.rank + i];
            }
        }
        return x.scale * y.scale * trace;
    }
}

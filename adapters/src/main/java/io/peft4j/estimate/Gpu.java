package io.peft4j.estimate;

import java.util.List;
import java.util.Locale;

/**
 * A GPU model: its memory and its peak dense 16-bit tensor throughput (bf16, or fp16 where the card
 * has no bf16), from the vendor's data sheets. Memory is in GiB, as {@code nvidia-smi} shows it.
 *
 * @param name       the name {@code --gpu} accepts
 * @param memoryGiB  device memory in GiB
 * @param tflops     peak dense bf16/fp16 tensor TFLOP/s (no sparsity); 0 when unknown
 */
public record Gpu(String name, double memoryGiB, double tflops) {

    /** Common training GPUs. */
    public static final List<Gpu> KNOWN = List.of(
            new Gpu("T4", 15, 65),
            new Gpu("V100-16GB", 16, 125),
            new Gpu("V100-32GB", 32, 125),
            new Gpu("RTX-3090", 24, 71),
            new Gpu("RTX-4090", 24, 165),
            new Gpu("A10", 24, 125),
            new Gpu("L4", 24, 121),
            new Gpu("A100-40GB", 40, 312),
            new Gpu("A40", 48, 150),
            new Gpu("RTX-A6000", 48, 155),
            new Gpu("L40S", 48, 362),
            new Gpu("RTX-6000-Ada", 48, 364),
            new Gpu("A100-80GB", 80, 312),
            new Gpu("H100-PCIe", 80, 756),
            new Gpu("H100-SXM", 80, 989),
            new Gpu("H200", 141, 989),
            new Gpu("MI300X", 192, 1307),
            new Gpu("B200", 180, 2250));

    /** Checks the figures. */
    public Gpu {
        if (!(memoryGiB > 0) || !(tflops >= 0)) {
            throw new EstimateException("GPU " + name + ": memory must be positive and TFLOP/s not negative");
        }
    }

    /** A GPU of the table, by name (case, dashes and spaces ignored); an unknown or ambiguous name is an error. */
    public static Gpu named(String name) {
        String key = normalise(name);
        List<Gpu> exact = KNOWN.stream().filter(g -> normalise(g.name).equals(key)).toList();
        List<Gpu> found = exact.isEmpty() ? KNOWN.stream().filter(g -> normalise(g.name).startsWith(key)).toList() : exact;
        if (found.size() == 1) {
            return found.getFirst();
        }
        String names = String.join(", ", (found.isEmpty() ? KNOWN : found).stream().map(Gpu::name).toList());
        throw new EstimateException("GPU '" + name + "' is " + (found.isEmpty() ? "unknown" : "ambiguous")
                + "; known: " + names + " (or give --gpu-memory GB)");
    }

    /** A GPU given by its memory and, if known, its TFLOP/s (0: unknown, so no time estimate). */
    public static Gpu withMemory(double memoryGiB, double tflops) {
        return new Gpu(String.format(Locale.ROOT, "%.4g GiB GPU", memoryGiB), memoryGiB, tflops);
    }

    /** True when the throughput is known. */
    public boolean hasThroughput() {
        return tflops > 0;
    }

    /** Memory in bytes. */
    public long memoryBytes() {
        return (long) (memoryGiB * (1L << 30));
    }

    private static String normalise(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[-_ ]", "");
    }
}

package io.peft4j.safetensors;

/**
 * Whether this JVM runs with the Vector API ({@code --add-modules jdk.incubator.vector}, which the
 * {@code peft4j} launcher and the test runs add). With it, the LoRA delta kernel and the bf16
 * conversions work on whole SIMD registers; without it they run scalar loops that give the same
 * bits, more slowly. The module is read once, when this class loads.
 */
public final class VectorApi {

    private static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private VectorApi() {}

    /** Whether the {@code jdk.incubator.vector} module is in the boot layer. */
    public static boolean isAvailable() {
        return AVAILABLE;
    }
}

package io.peft4j.cli;

import io.peft4j.core.Printable;
import io.peft4j.diffusion.DiffusionInspection;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Renders a {@link DiffusionInspection} as the human summary of {@code peft4j inspect}. */
final class DiffusionText {

    private final int maxModules;

    DiffusionText(int maxModules) {
        this.maxModules = maxModules;
    }

    String render(DiffusionInspection in) {
        StringBuilder out = new StringBuilder();
        out.append("image-generation LoRA  ").append(Printable.of(in.path())).append('\n');
        out.append(String.format(Locale.ROOT, "  %-11s %s%n", "layout", in.layout()));
        out.append(String.format(Locale.ROOT, "  %-11s %s%n", "parameters", Sizes.count(in.parameters())));
        String row = "  %-10s %8s %6s  %-24s %s%n";
        out.append(String.format(Locale.ROOT, row, "COMPONENT", "MODULES", "CONV", "RANKS (modules)", "ALPHAS (modules)"));
        for (DiffusionInspection.ComponentRow c : in.components()) {
            out.append(String.format(Locale.ROOT, row, c.component(), c.modules(), c.conv(), counts(c.ranks()), counts(c.alphas())));
        }
        int width = Math.min(72, in.modules().stream().mapToInt(m -> m.name().length()).max().orElse(4));
        String moduleRow = "  %-4s %-" + width + "s  %-6s %4s %8s %10s  %s%n";
        out.append(String.format(Locale.ROOT, moduleRow, "", "MODULE", "KIND", "R", "ALPHA", "SCALING", "DTYPE"));
        in.modules().stream().limit(maxModules).forEach(m -> out.append(String.format(Locale.ROOT, moduleRow, m.component(), m.name(),
                m.kind().equals("CONV2D") ? "conv" : "linear", m.rank(), number(m.alpha()), number(m.scaling()), m.dtype())));
        if (in.modules().size() > maxModules) {
            out.append(String.format(Locale.ROOT, "  ... %d more (--all lists every module)%n", in.modules().size() - maxModules));
        }
        if (!in.metadata().isEmpty()) {
            out.append("  metadata  ").append(Printable.of(in.metadata().toString())).append('\n');
        }
        for (String w : in.warnings()) {
            out.append("  warning  ").append(Printable.of(w)).append('\n');
        }
        return out.toString();
    }

    private static String counts(Map<? extends Number, Integer> counts) {
        return counts.entrySet().stream().map(e -> number(e.getKey().doubleValue()) + " (" + e.getValue() + ")")
                .collect(Collectors.joining(", "));
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.6g", v);
    }
}

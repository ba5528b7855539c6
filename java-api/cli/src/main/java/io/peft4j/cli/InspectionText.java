package io.peft4j.cli;

import io.peft4j.core.Printable;
import io.peft4j.inspect.Inspection;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Renders an {@link Inspection} as the human summary of {@code peft4j inspect}. Every text that
 * came from a file (names, metadata, configuration values, paths) is escaped with {@link Printable}.
 */
final class InspectionText {

    private final int maxTensors;

    InspectionText(int maxTensors) {
        this.maxTensors = maxTensors;
    }

    String render(Inspection in) {
        StringBuilder out = new StringBuilder();
        if (in.adapter() != null) {
            renderAdapter(in.adapter(), in.path(), out);
        }
        out.append(String.format(Locale.ROOT, "%s  %s%n", in.kind().equals("adapter") ? "weights" : in.kind(),
                Printable.of(String.join(", ", in.files()))));
        if (in.kind().equals("gguf")) {
            int width = in.metadata().keySet().stream().mapToInt(String::length).max().orElse(0);
            in.metadata().forEach((k, v) -> out.append(String.format(Locale.ROOT, "  %-" + width + "s  %s%n",
                    Printable.of(k), Printable.of(shortened(v)))));
        } else if (!in.metadata().isEmpty()) {
            out.append("  metadata  ").append(Printable.of(in.metadata().toString())).append('\n');
        }
        int nameWidth = Math.min(72, in.tensors().stream().mapToInt(t -> Printable.of(t.name()).length()).max().orElse(4));
        String row = "  %-" + nameWidth + "s  %-11s %-18s %12s%n";
        out.append(String.format(Locale.ROOT, row, "NAME", "DTYPE", "SHAPE", "BYTES"));
        in.tensors().stream().limit(maxTensors).forEach(t -> out.append(String.format(Locale.ROOT, row,
                Printable.of(t.name()), t.dtype(), Arrays.toString(t.shape()), Sizes.bytes(t.bytes()))));
        if (in.tensors().size() > maxTensors) {
            out.append(String.format(Locale.ROOT, "  ... %d more (--all lists every tensor)%n", in.tensors().size() - maxTensors));
        }
        out.append(String.format(Locale.ROOT, "total  %d tensors, %s parameters, %s%n",
                in.tensorCount(), Sizes.count(in.parameters()), Sizes.bytes(in.bytes())));
        return out.toString();
    }

    private static void renderAdapter(Inspection.AdapterSummary a, String path, StringBuilder out) {
        out.append("adapter  ").append(Printable.of(path)).append('\n');
        line(out, "method", a.method() + " (peft_type " + a.peftType()
                + (a.taskType() == null ? "" : ", task " + a.taskType()) + ")");
        line(out, "base model", a.baseModel() == null ? "(not recorded)" : a.baseModel());
        if (a.peftType().equals("LORA")) {
            line(out, "rank, alpha", "r=" + a.rank() + ", lora_alpha=" + trim(a.loraAlpha()));
            if (!a.rankPattern().isEmpty()) {
                line(out, "rank_pattern", a.rankPattern().toString());
            }
            if (!a.alphaPattern().isEmpty()) {
                line(out, "alpha_pattern", a.alphaPattern().toString());
            }
        }
        line(out, "targets", a.targets());
        if (!a.modules().isEmpty()) {
            Map<String, Long> groups = a.modules().stream().collect(Collectors.groupingBy(
                    m -> m.kind() + " r=" + m.rank() + " scaling " + trim(m.scaling()), LinkedHashMap::new, Collectors.counting()));
            groups.forEach((k, n) -> line(out, "modules", n + " x " + k));
        }
        if (!a.modulesToSave().isEmpty() || !a.replacements().isEmpty()) {
            line(out, "saved whole", String.join(", ", a.replacements()) + (a.modulesToSave().isEmpty() ? ""
                    : " (modules_to_save: " + String.join(", ", a.modulesToSave()) + ")"));
        }
        line(out, "trainable", Sizes.count(a.trainableParameters()) + " parameters");
    }

    /** A metadata value of at most 100 characters (chat templates run to kilobytes; --json has them whole). */
    private static String shortened(String value) {
        return value.length() <= 100 ? value : value.substring(0, 90) + "... (" + value.length() + " chars)";
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(String.format(Locale.ROOT, "  %-12s %s%n", label, Printable.of(value)));
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}

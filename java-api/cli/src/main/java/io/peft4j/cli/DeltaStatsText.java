package io.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.peft4j.core.Printable;
import io.peft4j.inspect.AdapterDiff;
import io.peft4j.inspect.AdapterStats;
import io.peft4j.inspect.ModuleComparison;
import io.peft4j.inspect.ModuleStats;
import java.util.List;
import java.util.Locale;

/**
 * Renders adapter statistics, diffs and extraction reports as terminal tables or JSON; names from
 * files pass through {@link Printable} so control characters cannot reach the terminal.
 */
final class DeltaStatsText {

    private final int limit;

    DeltaStatsText(int limit) {
        this.limit = limit;
    }

    /** Indented JSON with terminal-unsafe characters escaped, as inspect's. */
    static String json(Object value) throws com.fasterxml.jackson.core.JsonProcessingException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        mapper.getFactory().setCharacterEscapes(Printable.jsonEscapes());
        return mapper.writeValueAsString(value);
    }

    String render(AdapterStats s) {
        StringBuilder b = new StringBuilder();
        int width = nameWidth(s.modules().stream().map(ModuleStats::module).toList());
        b.append(String.format(Locale.ROOT, "%-" + width + "s  %4s  %10s  %8s  %6s  %6s%n", "module", "r", "||s*B@A||", "eff.rank",
                "r@90%", "r@99%"));
        List<ModuleStats> rows = s.modules().stream().limit(limit).toList();
        for (ModuleStats m : rows) {
            b.append(String.format(Locale.ROOT, "%-" + width + "s  %4d  %10.4g  %8d  %6d  %6d%n", Printable.of(m.module()), m.rank(), m.norm(),
                    m.effectiveRank(), m.rank90(), m.rank99()));
        }
        more(b, s.modules().size() - rows.size());
        b.append(String.format(Locale.ROOT, "%d module(s), total ||delta|| %.4g; effective rank counts %s%n", s.modules().size(),
                s.norm(), s.threshold()));
        return b.toString();
    }

    String render(AdapterDiff d) {
        StringBuilder b = new StringBuilder();
        int width = nameWidth(d.shared().stream().map(ModuleComparison::module).toList());
        b.append(String.format(Locale.ROOT, "%-" + width + "s  %10s  %10s  %7s  %10s  %8s%n", "module (most different first)",
                "||dA||", "||dB||", "cosine", "||dA-dB||", "relative"));
        List<ModuleComparison> rows = d.shared().stream().limit(limit).toList();
        for (ModuleComparison m : rows) {
            b.append(String.format(Locale.ROOT, "%-" + width + "s  %10.4g  %10.4g  %7.3f  %10.4g  %8.3f%n", Printable.of(m.module()), m.normA(),
                    m.normB(), m.cosine(), m.differenceNorm(), m.relativeDifference()));
        }
        more(b, d.shared().size() - rows.size());
        b.append(String.format(Locale.ROOT, "A: %s (%d modules, ||delta|| %.4g)%nB: %s (%d modules, ||delta|| %.4g)%n",
                d.a().adapter(), d.a().modules().size(), d.a().norm(), d.b().adapter(), d.b().modules().size(), d.b().norm()));
        b.append(String.format(Locale.ROOT, "shared modules: %d, cosine of the whole updates %.4f%n", d.shared().size(), d.cosine()));
        if (!d.onlyInA().isEmpty()) {
            b.append(String.format("only in A: %d module(s), e.g. %s%n", d.onlyInA().size(), d.onlyInA().getFirst()));
        }
        if (!d.onlyInB().isEmpty()) {
            b.append(String.format("only in B: %d module(s), e.g. %s%n", d.onlyInB().size(), d.onlyInB().getFirst()));
        }
        return b.toString();
    }

    private static int nameWidth(List<String> names) {
        return Math.max(29, names.stream().mapToInt(String::length).max().orElse(0));
    }

    private static void more(StringBuilder b, int hidden) {
        if (hidden > 0) {
            b.append(String.format("... %d more (--all lists them)%n", hidden));
        }
    }
}

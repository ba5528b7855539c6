package io.peft4j.cli;

import io.peft4j.inspect.AdapterDiff;
import io.peft4j.inspect.AdapterStats;
import io.peft4j.inspect.ModuleComparison;
import io.peft4j.inspect.ModuleStats;
import java.util.List;
import java.util.Locale;

/** Renders adapter statistics and diffs as terminal tables. */
final class DeltaStatsText {

    private final int limit;

    DeltaStatsText(int limit) {
        this.limit = limit;
    }

    String render(AdapterStats s) {
        StringBuilder b = new StringBuilder();
        int width = nameWidth(s.modules().stream().map(ModuleStats::module).toList());
        b.append(String.format(Locale.ROOT, "%-" + width + "s  %4s  %10s  %8s  %6s  %6s%n", "module", "r", "||s*B@A||", "eff.rank",
                "r@90%", "r@99%"));
        List<ModuleStats> rows = s.modules().stream().limit(limit).toList();
        for (ModuleStats m : rows) {
            b.append(String.format(Locale.ROOT, "%-" + width + "s  %4d  %10.4g  %8d  %6d  %6d%n", m.module(), m.rank(), m.norm(),
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
            b.append(String.format(Locale.ROOT, "%-" + width + "s  %10.4g  %10.4g  %7.3f  %10.4g  %8.3f%n", m.module(), m.normA(),
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

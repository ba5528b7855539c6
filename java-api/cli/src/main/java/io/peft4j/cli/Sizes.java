package io.peft4j.cli;

import java.util.Locale;

/** Formats counts and byte sizes for terminal output. */
final class Sizes {

    private Sizes() {}

    /** A count with thousands separators, e.g. {@code 1,181,184}. */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** A byte size in decimal units, e.g. {@code 3.26 MB}. */
    static String bytes(long n) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        double v = n;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }
}

package io.peft4j.cli;

import io.peft4j.core.Printable;
import io.peft4j.hub.DownloadListener;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Download progress for the CLI: on a terminal, a progress bar per file of 10 MB or more; off a
 * terminal (pipes, logs, tests), one plain line on stderr per transferred file.
 */
final class DownloadProgress {

    static final long LARGE = 10L * 1024 * 1024;

    private DownloadProgress() {}

    /** The listener for this process: bars when attached to a terminal, plain lines otherwise. */
    static DownloadListener forConsole(PrintWriter err) {
        return System.console() != null ? new Bars() : new Lines(err);
    }

    /** A progress bar per large file, on stderr. */
    private static final class Bars implements DownloadListener {
        private final Map<String, ProgressBar> bars = new HashMap<>();

        @Override
        public void started(String path, long totalBytes) {
            if (totalBytes >= LARGE) {
                bars.put(path, new ProgressBarBuilder().setTaskName(Printable.of(path)).setInitialMax(totalBytes)
                        .setUnit("MB", 1_000_000).setStyle(ProgressBarStyle.ASCII).showSpeed().build());
            }
        }

        @Override
        public void advanced(String path, long bytes) {
            ProgressBar bar = bars.get(path);
            if (bar != null) {
                bar.stepBy(bytes);
            }
        }

        @Override
        public void finished(String path) {
            ProgressBar bar = bars.remove(path);
            if (bar != null) {
                bar.close();
            }
        }
    }

    /** One line per transferred file. */
    private static final class Lines implements DownloadListener {
        private final PrintWriter err;

        Lines(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void started(String path, long totalBytes) {
            err.println("downloading " + Printable.of(path) + (totalBytes >= 0
                    ? String.format(Locale.ROOT, " (%.1f MB)", totalBytes / 1e6) : ""));
            err.flush();
        }
    }
}

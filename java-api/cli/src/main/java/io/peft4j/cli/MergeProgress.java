package io.peft4j.cli;

import io.peft4j.merge.MergeListener;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Merge progress for the CLI: on a terminal, a bar over the bytes written in MB with the speed in
 * MB/s; off a terminal (pipes, logs, tests), a plain line on stderr at each tenth of the bytes of an
 * output of {@value Lines#LARGE} bytes or more (a small merge prints only its result, a failed one
 * only its error).
 * Closing ends the bar.
 */
interface MergeProgress extends MergeListener, AutoCloseable {

    /** The listener for this process: a bar when attached to a terminal, plain lines otherwise. */
    static MergeProgress forConsole(PrintWriter err) {
        return System.console() != null ? new Bar() : new Lines(err, System::nanoTime);
    }

    @Override
    void close();

    /** A bar on stderr, made at the first report (when the total is known). */
    final class Bar implements MergeProgress {
        private ProgressBar bar;

        @Override
        public void progress(Progress p) {
            if (bar == null) {
                bar = new ProgressBarBuilder().setTaskName("merge").setInitialMax(p.bytes())
                        .setUnit("MB", 1_000_000).setStyle(ProgressBarStyle.ASCII).showSpeed().build();
            }
            bar.stepTo(p.bytesDone());
            bar.setExtraMessage(" " + p.tensorsDone() + "/" + p.tensors() + " tensors");
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
            }
        }
    }

    /** {@code merge: 132.0 of 439.4 MB (30%), 35/111 tensors, 812 MB/s} at each tenth of a large output. */
    final class Lines implements MergeProgress {
        static final long LARGE = 100_000_000L;
        private final PrintWriter err;
        private final LongSupplier clock;
        private final long start;
        private int tenthsShown;

        Lines(PrintWriter err, LongSupplier nanoClock) {
            this.err = err;
            this.clock = nanoClock;
            this.start = nanoClock.getAsLong();
        }

        @Override
        public void progress(Progress p) {
            int tenths = p.bytes() == 0 ? 10 : (int) (10 * p.bytesDone() / p.bytes());
            if (tenths <= tenthsShown || p.bytes() < LARGE) {
                return;
            }
            tenthsShown = tenths;
            double seconds = Math.max(1e-9, (clock.getAsLong() - start) / 1e9);
            err.printf(Locale.ROOT, "merge: %.1f of %.1f MB (%d%%), %d/%d tensors, %.0f MB/s%n", p.bytesDone() / 1e6,
                    p.bytes() / 1e6, 10 * tenths, p.tensorsDone(), p.tensors(), p.bytesDone() / 1e6 / seconds);
            err.flush();
        }

        @Override
        public void close() {
            // nothing held
        }
    }
}

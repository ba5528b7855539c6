package io.peft4j.bridge;

import java.io.PrintStream;
import org.slf4j.Logger;

/**
 * Receives progress while the Python environment is being created: a few steps, a status line of how
 * far the current step has come (e.g. pip's packages and megabytes), and every line pip prints.
 * Called on the thread that creates the environment.
 */
public interface ProgressListener {

    /** A new step started, e.g. "installing requirements (several GB on first set-up)". */
    void step(String description);

    /** One line of output from pip or python. */
    void output(String line);

    /** How far the current step has come, e.g. {@code pip: 34 packages resolved, 12 downloaded (1.24 GB)}. */
    default void progress(String status) {}

    /** A listener that logs steps at INFO and progress and output lines at DEBUG. */
    static ProgressListener logging(Logger logger) {
        return new ProgressListener() {
            @Override
            public void step(String description) {
                logger.info(description);
            }

            @Override
            public void output(String line) {
                logger.debug(line);
            }

            @Override
            public void progress(String status) {
                logger.debug(status);
            }
        };
    }

    /**
     * Set-up progress for a person watching {@code out}: each step on its own line; on a terminal the
     * status on one line rewritten in place, otherwise a status line when pip's phase changes
     * (resolving and downloading, installing, installed) and at most every 30 s within one, so logs stay short. pip's own lines go only to the install log.
     */
    static ProgressListener console(PrintStream out, boolean terminal) {
        return new ProgressListener() {
            private static final long QUIET_NANOS = 30_000_000_000L;
            private String phase = "";
            private long printed;

            @Override
            public void step(String description) {
                out.print(terminal ? "\r\033[K" : "");
                out.println("peft4j setup: " + description);
                out.flush();
            }

            @Override
            public void output(String line) {
                // in the install log; the status says how far it has come
            }

            @Override
            public void progress(String status) {
                if (terminal) {
                    out.print("\r\033[K  " + (status.length() > 110 ? status.substring(0, 110) : status));
                    out.flush();
                    return;
                }
                String kind = status.contains("installing") ? "installing" : status.contains("installed") ? "installed" : "resolving";
                long now = System.nanoTime();
                if (!kind.equals(phase) || now - printed > QUIET_NANOS) {
                    phase = kind;
                    printed = now;
                    out.println("  " + status);
                    out.flush();
                }
            }
        };
    }
}

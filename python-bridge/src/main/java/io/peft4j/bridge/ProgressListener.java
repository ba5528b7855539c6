package io.peft4j.bridge;

import org.slf4j.Logger;

/**
 * Receives progress while the Python environment is being created: a few steps and every line
 * pip prints. Called on the thread that creates the environment.
 */
public interface ProgressListener {

    /** A new step started, e.g. "installing requirements (several GB on first set-up)". */
    void step(String description);

    /** One line of output from pip or python. */
    void output(String line);

    /** A listener that logs steps at INFO and output lines at DEBUG. */
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
        };
    }
}

package io.peft4j;

import io.peft4j.tuning.SettingException;

/**
 * A training setting that cannot work, found before any Python runs: the message names the setting
 * and why (a missing file, a value out of range, data of the wrong format for the method, an output
 * directory that is not free).
 */
public final class TrainConfigException extends SettingException {

    /** Creates the exception with a one-line message naming the setting and the problem. */
    public TrainConfigException(String message) {
        super(message);
    }
}

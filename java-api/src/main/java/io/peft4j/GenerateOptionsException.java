package io.peft4j;

import io.peft4j.tuning.SettingException;

/**
 * An argument of {@link Peft#generate} or {@link Peft#evaluate} that cannot work, found before any
 * Python runs: a missing model directory or data file, options out of range, weights that do not
 * match the adapters. (A folder that is not an adapter is an {@code AdapterFormatException}, as in merges.)
 */
public final class GenerateOptionsException extends SettingException {

    /** Creates the exception with a one-line message naming the argument and the problem. */
    public GenerateOptionsException(String message) {
        super(message);
    }
}

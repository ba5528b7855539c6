package io.peft4j.tuning;

import io.peft4j.core.Peft4jException;

/**
 * A setting that cannot work, found before any work starts: the message is one line naming the
 * setting and the problem. Training settings throw its subclass {@code TrainConfigException},
 * generation and evaluation arguments {@code GenerateOptionsException}.
 */
public class SettingException extends Peft4jException {

    /** Creates the exception with a one-line message naming the setting and the problem. */
    public SettingException(String message) {
        super(message);
    }
}

package io.peft4j.gguf;

import io.peft4j.core.Peft4jException;

/**
 * An adapter or GGUF file cannot be converted between PEFT and llama.cpp: the message is one line
 * saying what and what to do instead.
 */
public final class LlamaCppException extends Peft4jException {

    /** Creates the exception with a one-line, user-facing message. */
    public LlamaCppException(String message) {
        super(message);
    }
}

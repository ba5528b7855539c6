package io.peft4j.cli;

import picocli.CommandLine.Option;

/**
 * The {@code --overwrite} option of every command that writes, so that its name and help text are
 * the same everywhere; the rule itself is {@link io.peft4j.output.OutputPolicy}.
 */
final class OverwriteOption {

    @Option(names = "--overwrite",
            description = "Replace the output if it exists and is not empty (default: refuse and change nothing).")
    boolean overwrite;
}

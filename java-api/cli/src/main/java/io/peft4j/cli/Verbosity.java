package io.peft4j.cli;

import io.peft4j.bridge.ProgressListener;
import io.peft4j.bridge.PythonEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionStrategy;
import picocli.CommandLine.ParseResult;

/**
 * How much the CLI says besides its results: by default warnings and errors only
 * ({@code simplelogger.properties}), and the creation of the Python environment as a progress line
 * on stderr; with {@code --verbose} (accepted by every subcommand) every log line at debug level,
 * the Python libraries' own warnings and output included ({@link io.peft4j.bridge.PythonRuntime#isVerbose}).
 * slf4j-simple reads its level once, when the first logger is made, so this runs after parsing and
 * before the command.
 */
final class Verbosity implements IExecutionStrategy {

    /** The option's name, declared once on {@link Main} and inherited by every subcommand. */
    static final String OPTION = "--verbose";

    private final IExecutionStrategy next;

    private Verbosity(IExecutionStrategy next) {
        this.next = next;
    }

    /** Runs {@code cli}'s commands with the verbosity their arguments ask for. */
    static CommandLine install(CommandLine cli) {
        return cli.setExecutionStrategy(new Verbosity(cli.getExecutionStrategy()));
    }

    @Override
    public int execute(ParseResult parsed) {
        boolean verbose = parsed.asCommandLineList().stream()
                .anyMatch(c -> c.getParseResult() != null && c.getParseResult().hasMatchedOption(OPTION));
        if (verbose) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
        }
        PythonEnvironment.setProgressListener(ProgressListener.console(System.err, System.console() != null));
        return next.execute(parsed);
    }
}

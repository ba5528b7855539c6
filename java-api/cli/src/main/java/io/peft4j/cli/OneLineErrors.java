package io.peft4j.cli;

import io.peft4j.core.Peft4jException;
import io.peft4j.core.Printable;
import picocli.CommandLine.ExecutionException;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IExecutionStrategy;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine;

/**
 * Turns anything a subcommand throws, {@link Error}s included (out of memory, stack overflow), into
 * one line on stderr and a non-zero exit code, so a user never sees a stack trace; text from files
 * in the message is escaped ({@link Printable}). {@code PEFT4J_DEBUG=1} prints the trace as well.
 * Picocli hands only {@link Exception}s to a handler, so the execution strategy wraps Errors first.
 */
final class OneLineErrors implements IExecutionExceptionHandler, IExecutionStrategy {

    /** Picocli's default: run the last subcommand given. */
    private final IExecutionStrategy strategy = new CommandLine.RunLast();

    /** Makes every failure of {@code cli}'s commands one line. */
    static CommandLine install(CommandLine cli) {
        OneLineErrors errors = new OneLineErrors();
        return cli.setExecutionStrategy(errors).setExecutionExceptionHandler(errors);
    }

    @Override
    public int execute(ParseResult parsed) {
        try {
            return strategy.execute(parsed);
        } catch (Error e) {
            throw new ExecutionException(parsed.asCommandLineList().getLast(), describe(e), e);
        }
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
        cmd.getErr().println("peft4j " + cmd.getCommandName() + ": " + oneLine(e));
        if (System.getenv("PEFT4J_DEBUG") != null) {
            (e.getCause() instanceof Error error ? error : e).printStackTrace(cmd.getErr());
        }
        return Main.EXIT_FAILURE;
    }

    private static String oneLine(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // peft4j's own messages are one line by contract: escape any line break a file name brought in
        return Printable.of(e instanceof Peft4jException || e.getCause() instanceof Error ? message
                : message.lines().findFirst().orElse(""));
    }

    private static String describe(Error e) {
        return switch (e) {
            case OutOfMemoryError oom -> "out of memory (" + oom.getMessage()
                    + "); give the JVM more with PEFT4J_JAVA_OPTS=-Xmx<size>";
            case StackOverflowError so -> "stack overflow (an input nested too deeply?)";
            default -> e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        };
    }
}

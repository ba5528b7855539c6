package io.peft4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns any exception a subcommand throws into one line on stderr and a non-zero exit code,
 * so a user never sees a stack trace. {@code PEFT4J_DEBUG=1} prints the trace as well.
 */
final class OneLineErrors implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        cmd.getErr().println("peft4j " + cmd.getCommandName() + ": " + message.lines().findFirst().orElse(""));
        if (System.getenv("PEFT4J_DEBUG") != null) {
            e.printStackTrace(cmd.getErr());
        }
        return Main.EXIT_FAILURE;
    }
}

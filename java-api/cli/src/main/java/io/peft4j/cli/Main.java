package io.peft4j.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code peft4j} command line: one command with a subcommand per capability.
 *
 * <p>Exit codes: 0 success, 1 a failure reported on stderr in one line (bad input, I/O, network,
 * Python), 2 wrong usage, 3 missing prerequisites (JDK, Python environment).
 */
@Command(name = "peft4j", mixinStandardHelpOptions = true, version = "peft4j 0.1.0",
        description = "Parameter-efficient fine-tuning for the JVM.")
public final class Main {

    @Option(names = Verbosity.OPTION, scope = ScopeType.INHERIT,
            description = "Show every log line, the Python libraries' warnings and set-up output included (default: warnings and errors).")
    boolean verbose;

    /** Exit code for a failure the user can fix (bad file, network fault, ...). */
    public static final int EXIT_FAILURE = 1;
    /** Exit code for wrong usage. */
    public static final int EXIT_USAGE = 2;

    /** The subcommands, in the order {@code --help} lists them. */
    static final List<Class<?>> SUBCOMMANDS = List.of(CommandLine.HelpCommand.class, ConvertCommand.class,
            DataCommand.class, DemoCommand.class, DiffCommand.class, EstimateCommand.class, ExportCommand.class,
            ExtractCommand.class, GenerateCommand.class, HubCommand.class, ImportCommand.class, InspectCommand.class,
            MergeCommand.class, SoupCommand.class, PlotCommand.class, ServeCommand.class, SetupCommand.class,
            TinyModelCommand.class, TrainCommand.class, ValidateCommand.class);

    private Main() {}

    /**
     * Runs the CLI and exits with its code, flushing its output first (picocli's writers flush
     * only on println, and {@code System.exit} would drop what a command {@code print}ed).
     */
    public static void main(String[] args) {
        CommandLine cli = commandLine();
        int code = cli.execute(args);
        cli.getOut().flush();
        cli.getErr().flush();
        System.exit(code);
    }

    /**
     * Runs the CLI and returns its exit code, with everything it printed flushed: commands print
     * through picocli's writers, which flush only on a line end, and {@code System.exit} flushes nothing.
     */
    public static int run(String... args) {
        CommandLine cli = commandLine(args);
        try {
            return cli.execute(args);
        } finally {
            cli.getOut().flush();
            cli.getErr().flush();
            System.out.flush();
            System.err.flush();
        }
    }

    /** The configured command line with every subcommand, for callers that redirect its output. */
    public static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /**
     * The configured command line for {@code args}, with only the subcommand they name: picocli
     * reflects over every option of every command it registers, which was most of a short call's
     * start-up. Every subcommand is registered when the call needs the list (no arguments,
     * {@code help}, {@code --help}, a name that is no command's); none for {@code --version}.
     */
    public static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new Main());
        String first = args.length > 0 ? args[0] : "";
        Class<?> named = SUBCOMMANDS.stream()
                .filter(c -> !c.equals(CommandLine.HelpCommand.class) && c.getAnnotation(Command.class).name().equals(first))
                .findFirst().orElse(null);
        if (named != null) {
            cli.addSubcommand(named);
        } else if (!first.equals("--version") && !first.equals("-V")) {
            SUBCOMMANDS.forEach(cli::addSubcommand);
        }
        return Verbosity.install(OneLineErrors.install(cli));
    }
}

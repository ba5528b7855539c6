package io.peft4j.cli;

import io.peft4j.output.OutputPolicy;
import io.peft4j.LossPlot;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code peft4j plot metrics.jsonl [--out loss.png]}: redraws the loss curve of a training run. */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "Draw the loss curve of a training run (metrics.jsonl, plus eval_metrics.jsonl beside it) as a PNG.")
final class PlotCommand implements Callable<Integer> {

    @Parameters(paramLabel = "METRICS", description = "The metrics.jsonl a training run wrote.")
    Path metrics;

    @Option(names = "--out", paramLabel = "PNG", description = "Where to write the image (default: loss.png beside the metrics).")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Path target = out != null ? out : metrics.resolveSibling("loss.png");
        OutputPolicy.checkFile(target, overwrite.overwrite, metrics);
        Path png = LossPlot.write(metrics, target);
        spec.commandLine().getOut().println(png);
        return 0;
    }
}

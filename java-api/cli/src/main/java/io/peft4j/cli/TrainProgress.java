package io.peft4j.cli;

import io.peft4j.Evaluation;
import io.peft4j.TrainResult;
import io.peft4j.TrainStart;
import io.peft4j.TrainStep;
import io.peft4j.TrainingListener;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows training progress: a live progress bar (step, loss, ETA) on an interactive console, one
 * plain line per step otherwise (logs, pipes, CI).
 */
final class TrainProgress implements TrainingListener {

    private final PrintStream out;
    private final boolean interactive;
    private ProgressBar bar;

    TrainProgress(PrintStream out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    @Override
    public void onStart(TrainStart start) {
        out.printf(Locale.ROOT, "training %d steps on %d examples (%s, %s)%n", start.maxSteps(), start.trainExamples(),
                start.optimizer(), start.device());
        if (interactive) {
            bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(start.maxSteps())
                    .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(out))
                    .hideEta().build();
        }
    }

    @Override
    public void onStep(TrainStep step) {
        String line = String.format(Locale.ROOT, "loss %.4f  lr %.2e  %.0f tok/s  ETA %s", step.loss(), step.learningRate(),
                step.tokensPerSecond(), clock(step.eta()));
        if (bar != null) {
            bar.stepTo(step.step());
            bar.setExtraMessage(" " + line);
        } else {
            out.printf(Locale.ROOT, "step %d/%d  epoch %.2f  %s%n", step.step(), step.maxSteps(), step.epoch(), line);
        }
    }

    @Override
    public void onEvaluation(Evaluation evaluation) {
        println(String.format(Locale.ROOT, "eval at step %d: loss %.4f  perplexity %.2f", evaluation.step(),
                evaluation.loss(), evaluation.perplexity()));
    }

    @Override
    public void onCheckpoint(Path checkpoint) {
        println("checkpoint " + checkpoint);
    }

    @Override
    public void onEnd(TrainResult result) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    private void println(String line) {
        if (bar != null) {
            out.println();
        }
        out.println(line);
    }

    static String clock(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}

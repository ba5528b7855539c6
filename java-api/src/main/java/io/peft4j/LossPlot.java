package io.peft4j;

import io.peft4j.core.Peft4jException;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the loss curve of a training run as a PNG: training loss per step from {@code metrics.jsonl},
 * and evaluation loss from {@code eval_metrics.jsonl} beside it when present, both read through
 * {@link TrainingMetrics}. Headless; the image is written to a temporary file and renamed into place.
 */
public final class LossPlot {

    /** The plot's file name beside {@code metrics.jsonl}. */
    public static final String FILE_NAME = "loss.png";
    /** The training-loss series. */
    public static final String TRAIN_SERIES = "train loss";
    /** The evaluation-loss series, drawn when the run evaluated. */
    public static final String EVAL_SERIES = "eval loss";

    private LossPlot() {}

    /**
     * The chart {@link #write} renders, e.g. to show in a Swing panel.
     *
     * @throws Peft4jException naming the file and line of a row that is not a metrics row, or when no step has a loss
     */
    public static XYChart chart(Path metrics) {
        System.setProperty("java.awt.headless", "true");
        List<TrainStep> steps = TrainingMetrics.steps(metrics);
        if (steps.isEmpty()) {
            throw new Peft4jException(metrics + ": no rows with a loss to plot");
        }
        XYChart chart = new XYChartBuilder().width(800).height(480).title("Training loss")
                .xAxisTitle("step").yAxisTitle("loss").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(true);
        XYSeries train = chart.addSeries(TRAIN_SERIES, steps.stream().mapToDouble(TrainStep::step).toArray(),
                steps.stream().mapToDouble(TrainStep::loss).toArray());
        train.setMarker(SeriesMarkers.NONE);
        Path evalFile = metrics.resolveSibling(TrainingMetrics.EVALUATIONS_FILE);
        if (Files.isRegularFile(evalFile)) {
            List<Evaluation> evaluations = TrainingMetrics.evaluations(evalFile);
            if (!evaluations.isEmpty()) {
                chart.addSeries(EVAL_SERIES, evaluations.stream().mapToDouble(Evaluation::step).toArray(),
                        evaluations.stream().mapToDouble(Evaluation::loss).toArray()).setMarker(SeriesMarkers.CIRCLE);
            }
        }
        return chart;
    }

    /**
     * Reads {@code metrics} (and a sibling {@value TrainingMetrics#EVALUATIONS_FILE}) and writes the chart to {@code png}.
     *
     * @return the PNG path
     */
    public static Path write(Path metrics, Path png) {
        XYChart chart = chart(metrics);
        try {
            Path dir = png.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".loss", ".png");
            try {
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
                }
                Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new Peft4jException(png + ": cannot write the plot: " + e.getMessage(), e);
        }
        return png;
    }
}

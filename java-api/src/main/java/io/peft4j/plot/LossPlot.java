package io.peft4j.plot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.core.Peft4jException;
import java.awt.Color;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the loss curve of a training run as a PNG: training loss per logged step from
 * {@code metrics.jsonl}, and evaluation loss from {@code eval_metrics.jsonl} beside it when present.
 * Headless; the image is written to a temporary file and renamed into place.
 */
public final class LossPlot {

    /** The evaluation metrics file training writes beside {@code metrics.jsonl}. */
    public static final String EVAL_METRICS = "eval_metrics.jsonl";

    private static final ObjectMapper JSON = new ObjectMapper();

    private LossPlot() {}

    /**
     * Reads {@code metrics} (and a sibling {@value #EVAL_METRICS}) and writes the chart to {@code png}.
     *
     * @return the PNG path
     */
    public static Path write(Path metrics, Path png) {
        System.setProperty("java.awt.headless", "true");
        Series train = read(metrics, "loss");
        if (train.steps.isEmpty()) {
            throw new Peft4jException(metrics + ": no rows with a loss to plot");
        }
        XYChart chart = new XYChartBuilder().width(800).height(480).title("Training loss")
                .xAxisTitle("step").yAxisTitle("loss").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(true);
        XYSeries t = chart.addSeries("train loss", train.steps, train.values);
        t.setMarker(SeriesMarkers.NONE);
        Path eval = metrics.resolveSibling(EVAL_METRICS);
        if (Files.isRegularFile(eval)) {
            Series e = read(eval, "loss");
            if (!e.steps.isEmpty()) {
                chart.addSeries("eval loss", e.steps, e.values).setMarker(SeriesMarkers.CIRCLE);
            }
        }
        try {
            Path dir = png.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".loss", ".png");
            try {
                BitmapEncoder.saveBitmap(chart, Files.newOutputStream(tmp), BitmapEncoder.BitmapFormat.PNG);
                Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new Peft4jException(png + ": cannot write the plot: " + e.getMessage(), e);
        }
        return png;
    }

    private record Series(List<Double> steps, List<Double> values) {}

    private static Series read(Path file, String field) {
        List<Double> steps = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode row;
                try {
                    row = JSON.readTree(line);
                } catch (IOException e) {
                    throw new Peft4jException(file + ":" + number + ": not a JSON object");
                }
                JsonNode v = row.get(field);
                JsonNode s = row.get("step");
                if (v != null && v.isNumber() && s != null && s.isNumber()) {
                    steps.add(s.asDouble());
                    values.add(v.asDouble());
                }
            }
        } catch (IOException e) {
            throw new Peft4jException(file + ": cannot read: " + e.getMessage(), e);
        }
        return new Series(steps, values);
    }
}

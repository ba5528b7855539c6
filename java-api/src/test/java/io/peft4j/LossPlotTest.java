package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.core.Peft4jException;
import io.peft4j.tuning.Targets;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/** {@code loss.png} from the metrics files a real training run wrote, and one-line errors for broken ones. */
class LossPlotTest {

    @Test
    void drawsTrainingAndEvaluationLossOfARealRun(@TempDir Path out) throws IOException {
        List<Evaluation> heard = new ArrayList<>();
        TrainResult result = Peft.train(TrainConfig.builder().baseModel(TinyFixtures.model()).data(TinyFixtures.text())
                .outputDir(out).maxSteps(4).batchSize(4).maxLength(64).learningRate(1e-2).targets(Targets.allLinear())
                .evalFraction(0.25).evalSteps(2).build(), new TrainingListener() {
                    @Override public void onEvaluation(Evaluation evaluation) { heard.add(evaluation); }
                });

        XYChart chart = LossPlot.chart(result.metricsPath());
        XYSeries train = chart.getSeries(LossPlot.TRAIN_SERIES);
        XYSeries eval = chart.getSeries(LossPlot.EVAL_SERIES);
        assertEquals(4, train.getXData().length, "a point per step");
        assertEquals(2, heard.size(), "evaluated at steps 2 and 4");
        assertEquals(heard.stream().map(Evaluation::step).map(Long::doubleValue).toList(), List.of(eval.getXData()[0], eval.getXData()[1]));
        assertEquals(heard.stream().map(Evaluation::loss).toList(), List.of(eval.getYData()[0], eval.getYData()[1]),
                "the curve is the losses the listener heard");
        assertEquals(result.evalLoss().orElseThrow(), heard.getLast().loss());

        BufferedImage image = ImageIO.read(out.resolve(LossPlot.FILE_NAME).toFile());
        assertEquals(800, image.getWidth(), "training drew loss.png beside the metrics");
        assertEquals(480, image.getHeight());
        try (var files = Files.list(out)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith(".loss")), "no temporary file left behind");
        }
    }

    @Test
    void malformedMetricsNameTheFileAndLine(@TempDir Path dir) throws IOException {
        Path metrics = Files.writeString(dir.resolve("metrics.jsonl"), "\n{oops\n");
        Peft4jException e = assertThrows(Peft4jException.class, () -> LossPlot.write(metrics, dir.resolve("loss.png")));
        assertTrue(e.getMessage().startsWith(metrics + ":2: not a training event"), e.getMessage());
        Path wrongKey = Files.writeString(dir.resolve("wrong.jsonl"), "{\"event\": \"evaluation\", \"step\": 2, \"epoch\": 1,"
                + " \"eval_loss\": 0.5, \"perplexity\": 1.6}\n");
        assertTrue(assertThrows(Peft4jException.class, () -> TrainingMetrics.evaluations(wrongKey)).getMessage()
                .startsWith(wrongKey + ":1: not a training event"), "a key outside the contract is refused, not skipped");
        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
        assertTrue(assertThrows(Peft4jException.class, () -> LossPlot.write(empty, dir.resolve("x.png")))
                .getMessage().contains("no rows with a loss"));
    }
}

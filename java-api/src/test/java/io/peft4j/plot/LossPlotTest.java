package io.peft4j.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.core.Peft4jException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossPlotTest {

    @Test
    void drawsAPngFromMetrics(@TempDir Path dir) throws IOException {
        StringBuilder rows = new StringBuilder();
        for (int step = 1; step <= 20; step++) {
            rows.append("{\"step\": ").append(step).append(", \"loss\": ").append(3.0 / step)
                    .append(", \"learning_rate\": 0.001, \"tokens_per_second\": 100}\n");
        }
        Path metrics = Files.writeString(dir.resolve("metrics.jsonl"), rows);
        Files.writeString(dir.resolve(LossPlot.EVAL_METRICS), "{\"step\": 10, \"loss\": 0.5}\n");
        Path png = LossPlot.write(metrics, dir.resolve("loss.png"));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(800, image.getWidth());
        assertEquals(480, image.getHeight());
        try (var files = Files.list(dir)) {
            assertEquals(3, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void malformedMetricsNameTheLine(@TempDir Path dir) throws IOException {
        Path metrics = Files.writeString(dir.resolve("metrics.jsonl"), "{\"step\": 1, \"loss\": 2}\n{oops\n");
        Peft4jException e = assertThrows(Peft4jException.class, () -> LossPlot.write(metrics, dir.resolve("loss.png")));
        assertTrue(e.getMessage().endsWith("metrics.jsonl:2: not a JSON object"), e.getMessage());
        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
        assertTrue(assertThrows(Peft4jException.class, () -> LossPlot.write(empty, dir.resolve("x.png")))
                .getMessage().contains("no rows with a loss"));
    }
}

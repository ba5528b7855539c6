package io.peft4j;

import io.peft4j.core.Peft4jException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.plot.LossPlot;
import java.io.IOException;
import org.slf4j.LoggerFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Runs {@code peft4j_bridge.train.train_json} on the Python interpreter thread: the configuration
 * goes over as JSON, events come back through a {@link Sink} whose methods take primitives, and the
 * result comes back as JSON. Runs are serialized by the one interpreter.
 */
final class PythonTraining {

    static final ObjectMapper JSON = new ObjectMapper();

    private PythonTraining() {}

    /** Starts a run on its own thread, which waits for the interpreter. */
    static TrainingHandle start(TrainConfig config, TrainingListener listener) {
        String configJson = configJson(config);
        TrainingHandle.CancelFlag flag = new TrainingHandle.CancelFlag();
        Sink sink = new Sink(listener);
        CompletableFuture<TrainResult> future = new CompletableFuture<>();
        Thread.ofPlatform().name("peft4j-train").daemon(false).start(() -> {
            try {
                String json = PythonRuntime.get().callAs(String.class, "train", "train_json", configJson, sink, flag);
                TrainResult result = parseResult(json);
                drawLossCurve(result.metricsPath());
                future.complete(result);
            } catch (Throwable e) {
                future.completeExceptionally(e);
            }
        });
        return new TrainingHandle(flag, future);
    }

    /** {@code loss.png} beside the metrics; a run without logged losses simply gets no plot. */
    static void drawLossCurve(Path metrics) {
        try {
            if (Files.isRegularFile(metrics) && Files.size(metrics) > 0) {
                LossPlot.write(metrics, metrics.resolveSibling("loss.png"));
            }
        } catch (IOException | Peft4jException e) {
            LoggerFactory.getLogger(PythonTraining.class).warn("no loss plot: {}", e.getMessage());
        }
    }

    /** The configuration in the keys {@code peft4j_bridge.train.DEFAULTS} names. */
    static String configJson(TrainConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("base_model", abs(c.baseModel()));
        m.put("data", c.data() == null ? null : abs(c.data()));
        m.put("records", c.records().isEmpty() ? null : c.records());
        m.put("output_dir", abs(c.outputDir()));
        m.put("method", c.method().id());
        m.put("rank", c.rank());
        m.put("alpha", c.alpha());
        m.put("dropout", c.dropout());
        m.put("target_modules", c.targets().peftValue());
        m.put("num_virtual_tokens", c.numVirtualTokens());
        m.put("learning_rate", c.learningRate());
        m.put("epochs", c.epochs());
        m.put("max_steps", c.maxSteps() > 0 ? c.maxSteps() : -1);
        m.put("batch_size", c.batchSize());
        m.put("grad_accum", c.gradientAccumulation());
        m.put("max_length", c.maxLength());
        m.put("seed", c.seed());
        m.put("scheduler", c.scheduler());
        m.put("warmup_steps", c.warmupSteps());
        m.put("optimizer", c.optimizer());
        m.put("completion_only_loss", c.completionOnlyLoss());
        m.put("eval_data", c.evalData() == null ? null : abs(c.evalData()));
        m.put("eval_fraction", c.evalFraction());
        m.put("eval_steps", c.evalSteps());
        m.put("save_steps", c.saveSteps());
        m.put("resume_from", c.resumeFrom() == null ? null : abs(c.resumeFrom()));
        m.put("device", c.device());
        m.put("dpo_base", c.dpoBase().id());
        m.put("dpo_beta", c.dpoBeta());
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new TrainConfigException("records cannot be written as JSON: " + e.getOriginalMessage());
        }
    }

    /** The result dict {@code train()} returns, as a TrainResult. */
    static TrainResult parseResult(String json) {
        JsonNode r = readTree(json);
        List<String> notes = new ArrayList<>();
        r.path("notes").forEach(n -> notes.add(n.asText()));
        return new TrainResult(Path.of(r.get("adapter_dir").asText()), Path.of(r.get("metrics_path").asText()),
                Path.of(r.get("config_path").asText()), r.get("steps").asLong(), r.get("max_steps").asLong(),
                r.get("epochs").asDouble(), number(r, "final_loss"), number(r, "eval_loss"),
                Duration.ofNanos((long) (r.get("duration_seconds").asDouble() * 1e9)),
                r.get("tokens_per_second").asDouble(), r.get("optimizer").asText(),
                r.get("optimizer_requested").asText(), r.get("device").asText(), r.get("cancelled").asBoolean(),
                r.path("checkpoint").isTextual() ? Path.of(r.get("checkpoint").asText()) : null, notes);
    }

    static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new Peft4jException("unreadable answer from Python: " + e.getOriginalMessage(), e);
        }
    }

    static String abs(Path path) {
        return path.toAbsolutePath().normalize().toString();
    }

    private static double number(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isNumber() ? value.asDouble() : Double.NaN;
    }

    /** What Python's training callback calls: primitives and strings only, fanned out as records. */
    public static final class Sink {
        private final TrainingListener listener;

        Sink(TrainingListener listener) {
            this.listener = listener;
        }

        /** Training began. */
        public void onStart(long maxSteps, long trainExamples, String optimizer, String device) {
            listener.onStart(new TrainStart(maxSteps, trainExamples, optimizer, device));
        }

        /** A step was logged. */
        public void onStep(long step, long maxSteps, double epoch, double loss, double learningRate,
                           double tokensPerSecond, double etaSeconds) {
            listener.onStep(new TrainStep(step, maxSteps, epoch, loss, learningRate, tokensPerSecond,
                    Duration.ofMillis(Math.round(etaSeconds * 1000))));
        }

        /** An evaluation finished. */
        public void onEvaluation(long step, double loss, double perplexity) {
            listener.onEvaluation(new Evaluation(step, loss, perplexity));
        }

        /** A checkpoint was written. */
        public void onCheckpoint(String path, long step) {
            listener.onCheckpoint(Path.of(path));
        }

        /** Training ended; {@code resultJson} is what {@code train()} returns. */
        public void onEnd(String resultJson) {
            listener.onEnd(parseResult(resultJson));
        }
    }
}

package io.peft4j;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One event of a training run as it crosses from Python: a JSON object whose {@code "event"} key names
 * the record. The same lines come from the embedded interpreter, from a distributed run's socket, and
 * fill {@code metrics.jsonl} (steps) and {@code eval_metrics.jsonl} (evaluations).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "event")
@JsonSubTypes({
    @JsonSubTypes.Type(value = TrainStart.class, name = "start"),
    @JsonSubTypes.Type(value = TrainStep.class, name = "step"),
    @JsonSubTypes.Type(value = Evaluation.class, name = "evaluation"),
    @JsonSubTypes.Type(value = TrainCheckpoint.class, name = "checkpoint"),
    @JsonSubTypes.Type(value = TrainResult.class, name = "end"),
})
sealed interface TrainingEvent permits TrainStart, TrainStep, Evaluation, TrainCheckpoint, TrainResult {}

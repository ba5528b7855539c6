/**
 * What a fine-tuning run trains, shared by training ({@code io.peft4j.TrainConfig}) and the estimator
 * ({@link io.peft4j.estimate.TrainingPlan}): the {@link io.peft4j.tuning.TrainMethod} and the
 * {@link io.peft4j.tuning.Targets} it adapts. Both serialize to the values PEFT and the Python bridge
 * use ({@code "qlora"}, {@code "all-linear"}, a regex or a list of module names).
 */
package io.peft4j.tuning;

package io.peft4j;

import java.time.Duration;

/**
 * One logged optimizer step.
 *
 * @param step steps completed
 * @param maxSteps steps planned
 * @param epoch passes over the data so far (fractional)
 * @param loss mean training loss since the previous logged step
 * @param learningRate the learning rate of this step
 * @param tokensPerSecond non-padding tokens per second since the previous logged step
 * @param eta estimated time to the last step
 */
public record TrainStep(long step, long maxSteps, double epoch, double loss, double learningRate,
                        double tokensPerSecond, Duration eta) {}

/**
 * Loss curves drawn from a training run's {@code metrics.jsonl} as a PNG (XChart, headless).
 */
package io.peft4j.plot;

package io.peft4j.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a JUnit 5 test class (or method) that checks its results against the real Python libraries
 * (PEFT, transformers) through peft4j's embedded Python. It adds {@link PeftExtension}, which
 * <ul>
 *   <li>starts the Python environment once per test run, the same one {@code io.peft4j.Peft} uses
 *       ({@code PEFT4J_PYTHON}, else the managed venv, created on first use), and skips the tests
 *       with the reason when no environment can be had (see {@link PeftExtension} for the rules);</li>
 *   <li>injects test-method and constructor parameters of type
 *       {@link io.peft4j.bridge.PythonRuntime}, {@link TinyModels} and {@link PeftCheck}.</li>
 * </ul>
 * <pre>{@code
 * @PeftTest
 * class MyMergeTest {
 *     @Test
 *     void mergeMatchesPeft(TinyModels tiny, PeftCheck check, @TempDir Path dir) { ... }
 * }
 * }</pre>
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(PeftExtension.class)
public @interface PeftTest {}

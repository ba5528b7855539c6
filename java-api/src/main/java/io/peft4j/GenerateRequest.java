package io.peft4j;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code peft4j_bridge.generate.generate} receives.
 *
 * @param base the base model directory
 * @param adapters adapter directories, checked in Java
 * @param prompt the prompt
 * @param options every sampling setting
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record GenerateRequest(Path base, List<Path> adapters, String prompt, GenerateOptions options) {}

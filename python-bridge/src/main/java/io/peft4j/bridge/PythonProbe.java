package io.peft4j.bridge;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Runs {@code peft4j_bridge/probe.py} with a python and reads what it reports. */
final class PythonProbe {

    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private PythonProbe() {}

    /**
     * Describes the Python installation of {@code python}.
     *
     * @param python a python executable
     * @param bridgePath the directory holding {@code peft4j_bridge}
     * @return the installation, or null if {@code python} cannot be run
     */
    static PythonInstallation probe(Path python, Path bridgePath) {
        StringBuilder out = new StringBuilder();
        ProcessRunner.Result result;
        try {
            result = ProcessRunner.run(
                    List.of(python.toString(), "-I", bridgePath.resolve("peft4j_bridge").resolve("probe.py").toString()),
                    Map.of(), line -> out.append(line).append('\n'));
        } catch (IOException e) {
            return null;
        }
        String json = out.toString().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElse(null);
        if (result.exitCode() != 0 || json == null) {
            throw new PythonEnvironmentException(python + " could not describe itself (exit " + result.exitCode()
                    + "): " + result.errorLine());
        }
        try {
            return JSON.readValue(json, PythonInstallation.class);
        } catch (IOException e) {
            throw new PythonEnvironmentException(python + " printed an unreadable description: " + e.getMessage(), e);
        }
    }
}

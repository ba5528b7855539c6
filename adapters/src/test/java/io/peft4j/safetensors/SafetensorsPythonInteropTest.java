package io.peft4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.safetensors.SafetensorsFormatException.Rule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Files written by peft4j, read by Python's safetensors (0.8) + torch; and the malformed corpus,
 * which Python must refuse too. Runs only when {@code PEFT4J_PYTHON} names a venv (or its python).
 */
class SafetensorsPythonInteropTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path python;

    @BeforeEach
    void findPython() {
        String env = System.getenv("PEFT4J_PYTHON");
        Assumptions.assumeTrue(env != null && !env.isBlank(),
                "PEFT4J_PYTHON is not set: skipping the checks against Python's safetensors");
        Path p = Path.of(env);
        python = Files.isDirectory(p) ? p.resolve("bin").resolve("python") : p;
        Assumptions.assumeTrue(Files.isExecutable(python), "PEFT4J_PYTHON: no python at " + python);
    }

    @Test
    void pythonReadsWhatJavaWritesAndWritesTheSameBytes() throws Exception {
        List<RandomContent> contents = new ArrayList<>();
        contents.addAll(RandomContent.samples(11L, 40, 4));
        contents.addAll(RandomContent.samples(12L, 40, 1));
        List<String> read = new ArrayList<>();
        List<List<String>> resave = new ArrayList<>();
        for (int i = 0; i < contents.size(); i++) {
            Path file = dir.resolve("java-" + i + ".safetensors");
            contents.get(i).write(file);
            read.add(file.toString());
            if (contents.get(i).metadata().size() <= 1) { // several keys: Python orders them at random
                resave.add(List.of(file.toString(), dir.resolve("python-" + i + ".safetensors").toString()));
            }
        }
        JsonNode result = runPython(Map.of("read", read, "resave", resave));
        for (int i = 0; i < contents.size(); i++) {
            RandomContent content = contents.get(i);
            JsonNode seen = result.get("read").get(read.get(i));
            Map<String, String> metadata = new LinkedHashMap<>();
            seen.get("metadata").properties().forEach(e -> metadata.put(e.getKey(), e.getValue().asText()));
            assertEquals(content.metadata(), metadata, read.get(i));
            assertEquals(content.specs().size(), seen.get("tensors").size(), read.get(i));
            for (TensorSpec spec : content.specs()) {
                JsonNode t = seen.get("tensors").get(spec.name());
                assertEquals(spec.dtype().safetensorsName(), t.get("dtype").asText(), spec.name());
                assertEquals(spec.shape().length, t.get("shape").size(), spec.name());
                for (int d = 0; d < spec.shape().length; d++) {
                    assertEquals(spec.shape()[d], t.get("shape").get(d).asLong(), spec.name());
                }
                assertEquals(sha256(content.bytes(spec)), t.get("sha256").asText(), spec.name());
            }
        }
        assertTrue(resave.size() > 40, "too few single-metadata files: " + resave.size());
        for (List<String> pair : resave) {
            assertEquals(-1L, Files.mismatch(Path.of(pair.get(0)), Path.of(pair.get(1))),
                    "Python's save_file wrote different bytes for " + pair.get(0));
        }
    }

    @Test
    void pythonRejectsTheMalformedCorpusToo() throws Exception {
        List<String> files = new ArrayList<>();
        Map<String, Rule> rules = new LinkedHashMap<>();
        int i = 0;
        for (Arguments a : MalformedFileTest.corpus().toList()) {
            Path file = dir.resolve("bad-" + i++ + ".safetensors");
            Files.write(file, (byte[]) a.get()[2]);
            files.add(file.toString());
            rules.put(file.toString(), (Rule) a.get()[0]);
        }
        JsonNode verdicts = runPython(Map.of("reject", files)).get("reject");
        // Rules where peft4j is deliberately stricter than the reference, which keeps one of two
        // duplicate keys; everything else Python must refuse as well.
        Set<Rule> stricter = Set.of(Rule.DUPLICATE_KEY);
        for (String file : files) {
            String verdict = verdicts.get(file).asText();
            if (!stricter.contains(rules.get(file))) {
                assertNotEquals("ok", verdict, rules.get(file) + " " + file + " was accepted by Python");
            }
        }
    }

    @Test
    void pythonReadsTheHeadersJavaAcceptsAlike() throws Exception {
        Map<String, Map<String, String>> javaSees = new LinkedHashMap<>();
        int i = 0;
        for (Arguments a : MalformedFileTest.accepted().toList()) {
            Path file = dir.resolve("ok-" + i++ + ".safetensors");
            Files.write(file, (byte[]) a.get()[1]);
            Map<String, String> tensors = new LinkedHashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                f.tensors().forEach(t -> tensors.put(t.name(), t.dtype().safetensorsName() + java.util.Arrays.toString(t.shape())));
            }
            javaSees.put(file.toString(), tensors);
        }
        JsonNode headers = runPython(Map.of("headers", List.copyOf(javaSees.keySet()))).get("headers");
        for (var e : javaSees.entrySet()) {
            JsonNode seen = headers.get(e.getKey());
            assertTrue(seen.isObject(), e.getKey() + ": Python refused it: " + seen);
            Map<String, String> pythonSees = new LinkedHashMap<>();
            seen.properties().forEach(t -> pythonSees.put(t.getKey(), t.getValue().get(0).asText()
                    + t.getValue().get(1).toString().replace(",", ", ")));
            assertEquals(e.getValue(), pythonSees, e.getKey());
        }
    }

    @Test
    void theDtypesOfSafetensors08ReadAsTorchWritesAndConvertsThem() throws Exception {
        Path file = dir.resolve("torch-dtypes.safetensors");
        JsonNode torch = runPython(Map.of("write_dtypes", file.toString())).get("dtypes");
        Map<String, DType> names = Map.of("float8_e4m3fnuz", DType.F8_E4M3FNUZ, "float8_e5m2fnuz", DType.F8_E5M2FNUZ,
                "float8_e8m0fnu", DType.F8_E8M0);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (var e : names.entrySet()) {
                Tensor t = f.tensor(e.getKey());
                assertEquals(e.getValue(), t.dtype());
                float[] values = t.toFloatArray();
                JsonNode bits = torch.get("float_bits").get(e.getKey());
                assertEquals(256, values.length);
                for (int b = 0; b < 256; b++) {
                    float expected = Float.intBitsToFloat(bits.get(b).asInt());
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(values[b]),
                            e.getKey() + " byte " + b + ": torch " + expected + ", peft4j " + values[b]);
                }
            }
            Tensor f4 = f.tensor("f4");
            assertEquals(DType.F4, f4.dtype());
            assertEquals(List.of(1L, 6L), java.util.Arrays.stream(f4.shape()).boxed().toList(), "the header counts F4 elements");
            assertEquals(torch.get("raw").get("f4").asText(), HexFormat.of().formatHex(f4.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            Tensor c64 = f.tensor("c64");
            assertEquals(DType.C64, c64.dtype());
            assertEquals(List.of(3L), java.util.Arrays.stream(c64.shape()).boxed().toList());
            assertEquals(torch.get("raw").get("c64").asText(), HexFormat.of().formatHex(c64.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
        }
    }

    private JsonNode runPython(Map<String, Object> request) throws IOException, InterruptedException {
        Path requestFile = dir.resolve("request.json");
        JSON.writeValue(requestFile.toFile(), request);
        Path script = Path.of("src", "test", "python", "check_safetensors_files.py");
        Process process = new ProcessBuilder(python.toString(), script.toString(), requestFile.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "python did not finish");
        assertEquals(0, process.exitValue(), "python failed: " + new String(out, StandardCharsets.UTF_8));
        return JSON.readTree(out);
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}

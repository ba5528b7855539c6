package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peft4j convert}, {@code inspect}, {@code merge} and {@code soup} on image-generation LoRAs,
 * run as a user runs them: a separate {@code java ... io.peft4j.cli.Main} process, on a kohya file and
 * a diffusers-shaped model folder written here (their agreement with diffusers itself is tested in
 * the adapters module).
 */
class DiffusionCommandsTest {

    private static final String Q = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
    private static final String CONV = "down_blocks.0.resnets.0.conv1";

    @TempDir
    Path temp;

    @Test
    void inspectConvertMergeAndSoupFromTheCommandLine() throws Exception {
        Path a = kohya("a.safetensors", 1, 2.0);
        Path b = kohya("b.safetensors", 2, 4.0);
        Path model = model();

        Result inspect = peft4j("inspect", a.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("layout      kohya"), inspect.out());
        assertTrue(inspect.out().matches("(?s).*unet\\s+2\\s+1\\s+4 \\(2\\)\\s+2 \\(2\\).*"), inspect.out());
        assertTrue(inspect.out().contains("attn1.to_q") && inspect.out().contains("0.5"), inspect.out());

        Result convert = peft4j("convert", a.toString(), "--to", "peft", "--out", temp.resolve("a-peft").toString());
        assertEquals(0, convert.code(), convert.err());
        assertTrue(convert.out().startsWith("converted " + a + " (kohya; unet 2 modules) to peft: "), convert.out());
        assertTrue(Files.isRegularFile(temp.resolve("a-peft/unet/adapter_config.json")));

        Result json = peft4j("inspect", temp.resolve("a-peft").toString(), "--json");
        assertEquals(0, json.code(), json.err());
        assertTrue(json.out().contains("\"layout\" : \"peft\""), json.out());

        Result merge = peft4j("merge", "--base", model.toString(), "--adapter", a + ":0.5", "--out", temp.resolve("merged").toString());
        assertEquals(0, merge.code(), merge.err());
        assertTrue(merge.out().contains("unet") && merge.out().contains("2 changed"), merge.out());
        assertTrue(Files.isRegularFile(temp.resolve("merged/scheduler/scheduler_config.json")));
        assertTrue(Files.isRegularFile(temp.resolve("merged/model_index.json")));
        try (SafetensorsFile merged = SafetensorsFile.open(temp.resolve("merged/unet/diffusion_pytorch_model.safetensors"));
             SafetensorsFile base = SafetensorsFile.open(model.resolve("unet/diffusion_pytorch_model.safetensors"))) {
            assertTrue(!merged.tensor(Q + ".weight").data().asByteBuffer().equals(base.tensor(Q + ".weight").data().asByteBuffer()));
            assertEquals(base.tensor("conv_in.weight").data().asByteBuffer(), merged.tensor("conv_in.weight").data().asByteBuffer());
        }

        Result soup = peft4j("soup", "--method", "ziplora", "--adapter", a + ":1", "--adapter", b + ":1",
                "--to", "diffusers", "--out", temp.resolve("zip.safetensors").toString());
        assertEquals(0, soup.code(), soup.err());
        assertTrue(soup.out().contains("OVERLAP") && soup.out().contains("unet." + Q), soup.out());
        assertTrue(Files.isRegularFile(temp.resolve("zip.safetensors")));
    }

    @Test
    void failuresAreOneLineWithExitCodeOne() throws Exception {
        Path bad = write(temp.resolve("bad.safetensors"), Map.of(
                "lora_unet_down_blocks_0_attentions_0_norm.lora_down.weight", new long[] {2, 8},
                "lora_unet_down_blocks_0_attentions_0_norm.lora_up.weight", new long[] {8, 2}), 3);
        Result r = peft4j("convert", bad.toString(), "--to", "diffusers", "--out", temp.resolve("x").toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("peft4j convert: ") && r.err().contains("lora_unet_down_blocks_0_attentions_0_norm.lora_down.weight"), r.err());
        Result wrong = peft4j("convert", kohya("c.safetensors", 3, 1.0).toString(), "--to", "kohya", "--out",
                temp.resolve("c-kohya").toString());
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().contains(".safetensors"), wrong.err());
        assertTrue(Files.notExists(temp.resolve("x")) && Files.notExists(temp.resolve("c-kohya")));
    }

    private Path kohya(String name, long seed, double alpha) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        String q = "lora_unet_" + Q.replace('.', '_');
        String conv = "lora_unet_" + CONV.replace('.', '_');
        shapes.put(q + ".lora_down.weight", new long[] {4, 8});
        shapes.put(q + ".lora_up.weight", new long[] {8, 4});
        shapes.put(q + ".alpha", new long[0]);
        shapes.put(conv + ".lora_down.weight", new long[] {4, 8, 3, 3});
        shapes.put(conv + ".lora_up.weight", new long[] {8, 4, 1, 1});
        shapes.put(conv + ".alpha", new long[0]);
        return write(temp.resolve(name), shapes, seed, alpha);
    }

    /** A diffusers-shaped folder: model_index.json, a UNet with the two modules (and conv_in), a scheduler. */
    private Path model() throws IOException {
        Path model = Files.createDirectories(temp.resolve("model"));
        Files.writeString(model.resolve("model_index.json"), "{\"_class_name\": \"StableDiffusionPipeline\"}");
        Path unet = Files.createDirectories(model.resolve("unet"));
        Files.writeString(unet.resolve("config.json"), "{\"layers_per_block\": 2}");
        write(unet.resolve("diffusion_pytorch_model.safetensors"), Map.of(Q + ".weight", new long[] {8, 8},
                CONV + ".weight", new long[] {8, 8, 3, 3}, "conv_in.weight", new long[] {8, 4, 3, 3}), 9);
        Path scheduler = Files.createDirectories(model.resolve("scheduler"));
        Files.writeString(scheduler.resolve("scheduler_config.json"), "{}");
        return model;
    }

    private static Path write(Path file, Map<String, long[]> shapes, long seed) {
        return write(file, shapes, seed, 0);
    }

    /** Random factors; every {@code .alpha} tensor set to {@code alpha}. */
    private static Path write(Path file, Map<String, long[]> shapes, long seed, double alpha) {
        Random random = new Random(seed);
        List<TensorSpec> specs = new ArrayList<>();
        shapes.forEach((k, s) -> specs.add(new TensorSpec(k, DType.F32, s)));
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            for (TensorSpec s : specs) {
                float[] v = new float[(int) s.numel()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = s.name().endsWith(".alpha") ? (float) alpha : (float) random.nextGaussian();
                }
                w.write(s.name(), v);
            }
            w.commit();
        }
        return file;
    }

    private record Result(int code, String out, String err) {}

    /** Runs {@code io.peft4j.cli.Main} in a new JVM with this test's class path. */
    private Result peft4j(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Path err = Files.createTempFile(temp, "err", ".txt");
        Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes());
        int code = p.waitFor();
        return new Result(code, out, Files.readString(err));
    }
}

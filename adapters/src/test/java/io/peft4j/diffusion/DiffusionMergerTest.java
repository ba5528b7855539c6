package io.peft4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.merge.MergeException;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.ShardedSafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Merging into a diffusers model folder: bounded memory, sharded components, variants, and nothing left
 * behind on failure. (That the numbers are diffusers' own is {@link DiffusersCrossCheckTest}'s.)
 */
class DiffusionMergerTest {

    private static final String BLOCK = "down_blocks.0.attentions.0.transformer_blocks.";

    @TempDir
    Path temp;

    /** A model folder whose UNet holds {@code blocks} 1024 x 512 float32 to_q weights (2 MiB each), in shards of {@code shard} bytes. */
    private Path model(int blocks, long shard) throws IOException {
        Path model = Files.createDirectories(temp.resolve("model"));
        Files.writeString(model.resolve("model_index.json"), "{}");
        Path unet = Files.createDirectories(model.resolve("unet"));
        Files.writeString(unet.resolve("config.json"), "{\"layers_per_block\": 2}");
        List<TensorSpec> specs = new ArrayList<>();
        for (int k = 0; k < blocks; k++) {
            specs.add(new TensorSpec(BLOCK + k + ".attn1.to_q.weight", DType.F32, new long[] {1024, 512}));
        }
        Random random = new Random(1);
        try (ShardedSafetensorsWriter w = ShardedSafetensorsWriter.create(unet, "diffusion_pytorch_model.safetensors", specs, shard,
                Map.of("format", "pt"), OptionalLong.empty())) {
            for (TensorSpec s : specs) {
                float[] v = new float[(int) s.numel()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) random.nextGaussian();
                }
                w.write(s.name(), v);
            }
            w.commit();
        }
        Files.createDirectories(model.resolve("vae"));
        Files.writeString(model.resolve("vae/config.json"), "{}");
        return model;
    }

    private Path lora(int blocks, int in) {
        TestFiles files = new TestFiles();
        for (int k = 0; k < blocks; k++) {
            files.kohya("lora_unet_" + (BLOCK + k + ".attn1.to_q").replace('.', '_'), 4, in, 1024, 2.0);
        }
        return files.write(temp.resolve("lora.safetensors"));
    }

    @Test
    void mergesAModelLargerThanTheHeap() throws Exception {
        Path model = model(24, 10_000_000L);
        Path lora = lora(24, 512);
        Path out = temp.resolve("merged");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-Xmx16m", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                HeapLimitedDiffusionMerge.class.getName(), model.toString(), lora.toString(), out.toString(), "10000000")
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), output);
        // 48 MiB of weights through a 16 MiB heap, in shards of at most 10 MB named as diffusers names them
        try (Stream<Path> files = Files.list(out.resolve("unet"))) {
            List<String> names = files.map(f -> f.getFileName().toString()).sorted().toList();
            List<String> expected = new ArrayList<>(List.of("config.json"));
            for (int i = 1; i <= 6; i++) { // 4 tensors of 2 MiB per 10 MB shard
                expected.add(String.format("diffusion_pytorch_model-%05d-of-00006.safetensors", i));
            }
            expected.add("diffusion_pytorch_model.safetensors.index.json");
            assertEquals(expected, names);
        }
        assertTrue(Files.isRegularFile(out.resolve("vae/config.json")));
        assertTrue(Files.isRegularFile(out.resolve("model_index.json")));
    }

    @Test
    void failureLeavesNothingAndVariantsAreNotCarried() throws IOException {
        Path model = model(2, 1L << 30);
        Files.writeString(model.resolve("unet/diffusion_pytorch_model.fp16.safetensors"), "an unmerged variant");
        Path wrong = lora(2, 256);
        Path out = temp.resolve("merged");
        MergeException e = assertThrows(MergeException.class,
                () -> DiffusionMerger.merge(DiffusionMergeOptions.builder(model, out).lora(wrong, 1.0).build()));
        assertTrue(e.getMessage().contains(BLOCK + "0.attn1.to_q") && e.getMessage().contains("[1024, 256]"), e.getMessage());
        try (Stream<Path> left = Files.list(temp)) {
            assertEquals(List.of("lora.safetensors", "model"), left.map(f -> f.getFileName().toString()).sorted().toList());
        }
        Files.delete(wrong);
        DiffusionMergeReport report = DiffusionMerger.merge(DiffusionMergeOptions.builder(model, out).lora(lora(2, 512), 1.0).build());
        assertTrue(Files.notExists(out.resolve("unet/diffusion_pytorch_model.fp16.safetensors")));
        assertEquals(1, report.warnings().size(), report.warnings().toString());
        assertTrue(report.warnings().getFirst().contains("diffusion_pytorch_model.fp16.safetensors"), report.warnings().getFirst());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("unet/diffusion_pytorch_model.safetensors"))) {
            assertEquals(2, f.tensors().size());
        }
        DiffusionFormatException notAModel = assertThrows(DiffusionFormatException.class,
                () -> DiffusionMerger.merge(DiffusionMergeOptions.builder(model.resolve("unet"), temp.resolve("x")).lora(out, 1.0).build()));
        assertTrue(notAModel.getMessage().contains("model_index.json"), notAModel.getMessage());
    }
}

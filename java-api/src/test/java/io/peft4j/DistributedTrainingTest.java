package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.bridge.PythonException;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two CPU processes with the gloo backend through torchrun, against one in-process run.
 *
 * <p>Tolerance: with dropout 0, the same seed and the same global batch (2 x 2 against 1 x 4), the
 * ranks see the same examples per step as the single process and Trainer normalises the loss by the
 * token count of the global batch, so the runs differ only in float summation order (padding to each
 * rank's longest example, all-reduce): per-step losses agree within 1e-4 relative and each adapter
 * tensor within 1e-4 of its largest magnitude (measured: 1e-7 and 2e-6).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // a rendezvous that never completes fails instead of hanging CI
class DistributedTrainingTest {

    private static TrainConfig.Builder tiny(Path out, int batchSize) {
        return TrainConfig.builder().baseModel(TinyFixtures.model()).data(TinyFixtures.text()).outputDir(out)
                .maxSteps(20).batchSize(batchSize).maxLength(64).learningRate(1e-2).dropout(0)
                .targets(TrainConfig.Targets.allLinear()).device("cpu");
    }

    @Test
    void twoGlooProcessesTrainLikeOneProcessWithTheSameGlobalBatch(@TempDir Path dir) throws IOException {
        List<TrainStep> steps = new ArrayList<>();
        List<TrainStart> starts = new ArrayList<>();
        AtomicReference<TrainResult> ended = new AtomicReference<>();
        TrainResult two = Peft.train(tiny(dir.resolve("two"), 2).distributed(Distributed.processes(2).withBackend("gloo")).build(),
                new TrainingListener() {
                    @Override public void onStart(TrainStart start) { starts.add(start); }
                    @Override public void onStep(TrainStep step) { steps.add(step); }
                    @Override public void onEnd(TrainResult result) { ended.set(result); }
                });
        List<TrainStep> single = new ArrayList<>();
        TrainResult one = Peft.train(tiny(dir.resolve("one"), 4).build(), new TrainingListener() {
            @Override public void onStep(TrainStep step) { single.add(step); }
        });

        assertEquals(20, two.steps());
        assertEquals(List.of(new TrainStart(20, 48, "adamw_torch", "cpu")), starts);
        assertEquals(two, ended.get());
        assertEquals(20, steps.size(), "rank 0 reported every step once");
        assertTrue(steps.getLast().loss() < steps.getFirst().loss() - 0.5, "the loss falls: " + steps.getFirst().loss() + " -> " + steps.getLast().loss());
        for (int i = 0; i < 20; i++) {
            double a = steps.get(i).loss();
            double b = single.get(i).loss();
            assertEquals(b, a, 1e-4 * Math.abs(b), "step " + (i + 1) + " loss, 2 processes vs 1");
        }
        assertEquals(TrainEveryMethodTest.metricsLosses(one.metricsPath(), 20).size(),
                TrainEveryMethodTest.metricsLosses(two.metricsPath(), 20).size(), "rank 0 alone wrote metrics.jsonl");
        assertAdaptersClose(one.adapterDir(), two.adapterDir(), 1e-4);
        // PEFT loads the adapter and it fits the data better than the base
        double base = Peft.evaluate(TinyFixtures.model(), null, TinyFixtures.text()).loss();
        assertTrue(Peft.evaluate(TinyFixtures.model(), two.adapterDir(), TinyFixtures.text()).loss() < base - 0.5);
    }

    /**
     * Two torchrun "nodes" on this machine meet through the static rendezvous at node 0's store, as
     * two machines would. The port is taken below the kernel's ephemeral range, as a real master port
     * (29500) is: a port from that range can be handed to another socket between the probe and the
     * store's bind. Both nodes are awaited together, so one failing fails the test at once instead of
     * leaving the other in torchrun's 300-second exit barrier.
     */
    @Test
    void twoNodesOnThisMachineMeetAtTheMasterAndNodeZeroWritesTheAdapter(@TempDir Path dir) throws Exception {
        int port = freePortBelowTheEphemeralRange();
        Distributed nodes = Distributed.processes(1).withBackend("gloo");
        List<Long> nodeOneSteps = new java.util.concurrent.CopyOnWriteArrayList<>();
        TrainingHandle node0 = Peft.trainAsync(tiny(dir.resolve("node0"), 2).maxSteps(6)
                .distributed(nodes.onNodes(2, 0, "127.0.0.1", port)).build(), TrainingListener.none());
        TrainingHandle node1 = Peft.trainAsync(tiny(dir.resolve("node1"), 2).maxSteps(6)
                .distributed(nodes.onNodes(2, 1, "127.0.0.1", port)).build(), new TrainingListener() {
                    @Override public void onStep(TrainStep step) { nodeOneSteps.add(step.step()); }
                });
        CompletableFuture.anyOf(node0.future(), node1.future()).exceptionally(e -> null).get();
        for (TrainingHandle failed : List.of(node0, node1)) {
            if (failed.future().isCompletedExceptionally()) {
                node0.cancel();
                node1.cancel();
                failed.await(); // throws the failed node's error
            }
        }
        TrainResult zero = node0.await();
        TrainResult one = node1.await();
        assertEquals(6, zero.steps());
        assertEquals(6, one.steps());
        assertFalse(zero.cancelled() || one.cancelled());
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), nodeOneSteps, "node 1's local rank 0 reports the global steps too");
        assertEquals(zero.finalLoss(), one.finalLoss(), 0.0,
                "both nodes report the loss averaged over all ranks");
        assertTrue(Files.isRegularFile(dir.resolve("node0").resolve("adapter_model.safetensors")));
        assertFalse(Files.exists(dir.resolve("node1").resolve("adapter_model.safetensors")), "only global rank 0 writes");
    }

    /** A free loopback port below {@code net.ipv4.ip_local_port_range}, where the kernel never picks ports itself. */

    @Test
    void cancelStopsEveryRankAtTheSameStepWithACheckpoint(@TempDir Path dir) {
        AtomicReference<TrainingHandle> handle = new AtomicReference<>();
        List<Path> checkpoints = new ArrayList<>();
        TrainConfig config = tiny(dir, 2).maxSteps(200).distributed(Distributed.processes(2)).build();
        handle.set(Peft.trainAsync(config, new TrainingListener() {
            @Override public void onStep(TrainStep step) {
                if (step.step() == 2) {
                    handle.get().cancel();
                }
            }
            @Override public void onCheckpoint(Path checkpoint) { checkpoints.add(checkpoint); }
        }));
        TrainResult stopped = handle.get().await();
        assertTrue(stopped.cancelled());
        assertTrue(stopped.steps() >= 2 && stopped.steps() < 200, "stopped soon after the request: " + stopped.steps());
        assertEquals(List.of(dir.resolve("checkpoints").resolve("checkpoint-" + stopped.steps())), checkpoints);
        assertTrue(Files.isRegularFile(checkpoints.getFirst().resolve("adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(checkpoints.getFirst().resolve("rng_state_1.pth")), "rank 1 took part in the checkpoint");
    }

    @Test
    void aCrashedRankFailsTheRunWithThatRanksTraceback(@TempDir Path dir) {
        TrainConfig config = tiny(dir, 2).distributed(Distributed.processes(2)).build();
        TrainingHandle handle = DistributedLauncher.start(config, TrainingListener.none(), "crash_rank_one",
                List.of(Path.of("src/test/python").toAbsolutePath()));
        PythonException e = assertThrows(PythonException.class, handle::await);
        assertEquals("RuntimeError", e.pythonType());
        assertEquals("RuntimeError: rank 1: rank one fails on purpose", e.getMessage());
        assertTrue(e.traceback().contains("crash_rank_one.py"), e.traceback());
        assertFalse(Files.exists(dir.resolve("adapter_model.safetensors")));
    }

    @Test
    void accelerateWithoutMpiStartsOneCpuProcessAndTheRunSaysSo(@TempDir Path dir) throws IOException {
        Path yaml = Files.writeString(dir.resolve("ddp-cpu.yaml"), String.join("\n", "compute_environment: LOCAL_MACHINE",
                "distributed_type: MULTI_CPU", "num_processes: 2", "num_machines: 1", "machine_rank: 0", "use_cpu: true",
                "mixed_precision: 'no'", ""));
        TrainConfig config = tiny(dir.resolve("out"), 2).distributed(Distributed.processes(2).withAccelerateConfig(yaml)).build();
        PythonException e = assertThrows(PythonException.class, () -> Peft.train(config));
        assertTrue(e.getMessage().startsWith("RuntimeError: rank 0: the launcher started 1 rank(s) but 2 were asked for"), e.getMessage());
    }

    @Test
    void commandsForTorchrunAndAccelerate() {
        Path python = Path.of("/venv/bin/python");
        Path spec = Path.of("/work/spec.json");
        List<String> local = DistributedLauncher.command(python, Distributed.processes(2), "peft4j_bridge.launch", spec);
        assertEquals(List.of("/venv/bin/python", "-m", "torch.distributed.run", "--nproc-per-node", "2", "--nnodes", "1",
                        "--rdzv-backend", "c10d", "--rdzv-endpoint", "127.0.0.1:0", "--rdzv-id"), local.subList(0, 12));
        assertTrue(local.get(12).startsWith("peft4j-"), local.toString());
        assertEquals(List.of("-m", "peft4j_bridge.launch", "/work/spec.json"), local.subList(13, 16));
        assertEquals(List.of("/venv/bin/python", "-m", "torch.distributed.run", "--nproc-per-node", "8", "--nnodes", "2",
                        "--node-rank", "1", "--master-addr", "10.0.0.1", "--master-port", "29500",
                        "-m", "peft4j_bridge.launch", "/work/spec.json"),
                DistributedLauncher.command(python, Distributed.processes(8).onNodes(2, 1, "10.0.0.1", 29500),
                        "peft4j_bridge.launch", spec));
        Path yaml = Path.of("pom.xml"); // any existing file stands for the accelerate config here
        assertEquals(List.of("/venv/bin/python", "-m", "accelerate.commands.launch", "--config_file", "pom.xml",
                        "--num_processes", "16", "--num_machines", "2", "--machine_rank", "1",
                        "--main_process_ip", "10.0.0.1", "--main_process_port", "29500",
                        "--module", "peft4j_bridge.launch", "/work/spec.json"),
                DistributedLauncher.command(python, Distributed.processes(8).onNodes(2, 1, "10.0.0.1", 29500)
                        .withAccelerateConfig(yaml), "peft4j_bridge.launch", spec));
    }

    @Test
    void badDistributedSettingsAreRejected() {
        assertThrows(TrainConfigException.class, () -> Distributed.processes(0));
        assertThrows(TrainConfigException.class, () -> Distributed.processes(2).onNodes(2, 2, "10.0.0.1", 29500));
        assertThrows(TrainConfigException.class, () -> Distributed.processes(2).onNodes(2, 1, null, 0));
        assertThrows(TrainConfigException.class, () -> Distributed.processes(2).withBackend("mpi"));
        assertThrows(TrainConfigException.class, () -> Distributed.processes(2).withAccelerateConfig(Path.of("no-such.yaml")));
    }

    private static void assertAdaptersClose(Path expected, Path actual, double tolerance) {
        try (SafetensorsFile a = SafetensorsFile.open(expected.resolve("adapter_model.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(actual.resolve("adapter_model.safetensors"))) {
            assertEquals(a.tensors().stream().map(TensorInfo::name).sorted().toList(),
                    b.tensors().stream().map(TensorInfo::name).sorted().toList());
            for (TensorInfo info : a.tensors()) {
                float[] x = a.tensor(info.name()).toFloatArray();
                float[] y = b.tensor(info.name()).toFloatArray();
                double scale = 0;
                double worst = 0;
                for (int i = 0; i < x.length; i++) {
                    scale = Math.max(scale, Math.abs(x[i]));
                    worst = Math.max(worst, Math.abs(x[i] - y[i]));
                }
                assertTrue(worst <= tolerance * Math.max(scale, 1e-12), info.name() + ": differs by " + worst + " (largest value " + scale + ")");
            }
        }
    }

    private static int freePortBelowTheEphemeralRange() throws IOException {
        // readAllLines, not readString: procfs reports a size of 0 and readString then returns one byte
        int low = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).getFirst()
                .strip().split("\\s+")[0]);
        int start = 20000 + new java.util.Random().nextInt(Math.max(1, low - 21000));
        for (int port = start; port < low; port++) {
            try (java.net.ServerSocket probe = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // try the next one
            }
        }
        throw new IOException("no free port between " + start + " and " + low);
    }
}

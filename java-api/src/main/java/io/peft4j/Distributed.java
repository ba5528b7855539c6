package io.peft4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * How a training run spreads over processes and machines: PyTorch's own engines do the work
 * ({@code torchrun}, or {@code accelerate launch} with an accelerate config for DDP, FSDP or DeepSpeed),
 * started by {@link DistributedLauncher} with the environment's python. Each rank trains on its share
 * of every global batch: the global batch is {@code batchSize x gradientAccumulation x processes}.
 *
 * @param processesPerNode ranks started on this machine (one per GPU, or CPU processes)
 * @param nodes machines taking part; each runs peft4j with its own {@code nodeRank}
 * @param nodeRank this machine's rank, 0 to {@code nodes - 1}; node 0 writes the adapter and metrics
 * @param masterAddress the address of node 0, or null on one node (then a free loopback port is used)
 * @param masterPort node 0's rendezvous port, or 0 on one node
 * @param backend {@code gloo}, {@code nccl}, or null for nccl with CUDA and gloo otherwise
 * @param accelerateConfig an accelerate YAML ({@code accelerate config}) to launch with
 *     {@code accelerate launch --config_file} instead of torchrun, or null
 */
public record Distributed(int processesPerNode, int nodes, int nodeRank, String masterAddress, int masterPort,
                          String backend, Path accelerateConfig) {

    /** The torch.distributed backends peft4j passes on. */
    public static final Set<String> BACKENDS = Set.of("gloo", "nccl");

    /** Validates; each problem is a {@link TrainConfigException} naming the setting. */
    public Distributed {
        require(processesPerNode > 0, "processes per node must be > 0, got " + processesPerNode);
        require(nodes > 0, "nodes must be > 0, got " + nodes);
        require(nodeRank >= 0 && nodeRank < nodes, "node rank must be in [0, " + nodes + "), got " + nodeRank);
        require(masterPort >= 0 && masterPort <= 65535, "master port must be in [0, 65535], got " + masterPort);
        require(nodes == 1 || (masterAddress != null && !masterAddress.isBlank() && masterPort > 0),
                "several nodes need the master address and port of node 0");
        require(backend == null || BACKENDS.contains(backend), "backend must be gloo or nccl, got " + backend);
        require(accelerateConfig == null || Files.isRegularFile(accelerateConfig),
                accelerateConfig + ": accelerate config file not found");
    }

    /** {@code processes} ranks on this machine, torchrun, backend chosen by device. */
    public static Distributed processes(int processes) {
        return new Distributed(processes, 1, 0, null, 0, null, null);
    }

    /** This machine as node {@code nodeRank} of {@code nodes}, meeting at node 0's address and port. */
    public Distributed onNodes(int nodes, int nodeRank, String masterAddress, int masterPort) {
        return new Distributed(processesPerNode, nodes, nodeRank, masterAddress, masterPort, backend, accelerateConfig);
    }

    /** The same with a torch.distributed backend ({@code gloo} or {@code nccl}). */
    public Distributed withBackend(String backend) {
        return new Distributed(processesPerNode, nodes, nodeRank, masterAddress, masterPort, backend, accelerateConfig);
    }

    /** The same, launched with {@code accelerate launch --config_file config}. */
    public Distributed withAccelerateConfig(Path config) {
        return new Distributed(processesPerNode, nodes, nodeRank, masterAddress, masterPort, backend, config);
    }

    /** Ranks in the whole run. */
    public int worldSize() {
        return processesPerNode * nodes;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new TrainConfigException(message);
        }
    }
}

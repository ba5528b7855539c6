package io.peft4j;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The {@code SPEC.json} every rank of a distributed run reads ({@code peft4j_bridge.launch}).
 *
 * @param train the training request, as the embedded interpreter gets it
 * @param eventsPort the loopback port this node's local rank 0 sends events to
 * @param cancelFile created to cancel: every rank stops after the same step
 * @param errorDir where a failing rank writes its {@link RankError}
 * @param backend the torch.distributed backend, or empty for nccl with CUDA and gloo otherwise
 * @param worldSize the ranks asked for
 * @param verbose whether the ranks keep the libraries' warnings and info logs
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record LaunchSpec(TrainRequest train, int eventsPort, Path cancelFile, Path errorDir, Optional<String> backend,
                  int worldSize, boolean verbose) {}

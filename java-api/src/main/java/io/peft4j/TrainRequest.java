package io.peft4j;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.Optional;

/**
 * What {@code peft4j_bridge.train.train} receives: the configuration, complete, and the data files
 * with the formats Java found in them.
 *
 * @param config every setting
 * @param data the training data
 * @param evalData the evaluation data, if a file was given
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record TrainRequest(TrainConfig config, DataFile data, Optional<DataFile> evalData) {}

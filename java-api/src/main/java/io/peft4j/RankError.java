package io.peft4j;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * The error a failing rank of a distributed run leaves in {@code error_dir/rank-<rank>.json}.
 *
 * @param rank the global rank
 * @param type the Python exception's type
 * @param message its message
 * @param traceback its formatted traceback
 * @param time when it failed, in seconds since the epoch (the first failure is the cause)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record RankError(int rank, String type, String message, String traceback, double time) {}

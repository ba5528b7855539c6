/**
 * Where peft4j writes its results: {@link io.peft4j.output.OutputPolicy}, the one overwrite rule of
 * every command and API that writes a folder or file, and {@link io.peft4j.output.OutputDirectory},
 * the temporary folder renamed into place that every folder-writing command builds its result in.
 */
package io.peft4j.output;

/**
 * Where peft4j writes its results: {@link io.peft4j.output.OutputPolicy}, the one overwrite rule of
 * every command and API that writes a folder or file (merge, soup, train, tiny-model, plot, demo).
 */
package io.peft4j.output;

package io.peft4j.extract;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decomposes modules on a bounded pool of worker threads (one module per thread at a time), parks
 * each result's factors in a {@link FactorSpill} and returns the results in input order. The first
 * failure stops the run and is reported with its module's name.
 */
final class ModuleRunner {

    /** A decomposed module and where its factors were parked. */
    record Finished(ModuleWork work, ModuleExtraction row, long aOffset, long bOffset) {}

    private ModuleRunner() {}

    static List<Finished> run(List<ModuleWork> works, ExtractOptions options, FactorSpill spill) {
        int threads = Math.max(1, Math.min(options.threads(), works.size()));
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "peft4j-extract");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Finished>> futures = new ArrayList<>();
            for (ModuleWork work : works) {
                futures.add(pool.submit(() -> {
                    Decomposed d = work.decompose(options, options.seed() ^ (long) work.module().hashCode() * 0x9E3779B97F4A7C15L);
                    long a = spill.append(d.pair().a());
                    long b = spill.append(d.pair().b());
                    options.listener().moduleDone(work.module(), done.incrementAndGet(), works.size());
                    return new Finished(work, d.row(), a, b);
                }));
            }
            List<Finished> results = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                results.add(await(futures.get(i), works.get(i).module()));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Finished await(Future<Finished> future, String module) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExtractException("interrupted while decomposing " + module, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof OutOfMemoryError) {
                throw new ExtractException(module + ": out of memory while decomposing it (give the JVM more heap, or fewer --threads)", cause);
            }
            String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            throw new ExtractException(message.contains(module) ? message : module + ": " + message, cause);
        }
    }
}

package io.peft4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.bridge.PythonException;
import io.peft4j.bridge.PythonRuntime;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Gathers the requests that arrive together into one batch: the first waits up to the batch window
 * for others, up to {@code maxBatch} requests naming at most {@code maxLoaded} adapters; one worker
 * thread loads what the batch needs and generates it in one Python call. A full queue refuses new
 * requests (503); closing cancels the queued ones and lets the running batch finish.
 */
final class Batcher implements AutoCloseable {

    /** One queued request: its model (null for the base), the Python request, the answer to come. */
    record Job(String adapter, String model, ObjectNode request, CompletableFuture<JsonNode> answer, long queuedAt) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PythonRuntime python;
    private final long handle;
    private final AdapterPool pool;
    private final ServeMetrics metrics;
    private final int maxBatch;
    private final int maxQueued;
    private final long windowNanos;
    private final Deque<Job> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final Thread worker;
    private volatile boolean closed;

    Batcher(PythonRuntime python, long handle, AdapterPool pool, ServeMetrics metrics, int maxBatch, int maxQueued, Duration window) {
        this.python = python;
        this.handle = handle;
        this.pool = pool;
        this.metrics = metrics;
        this.maxBatch = maxBatch;
        this.maxQueued = maxQueued;
        this.windowNanos = window.toNanos();
        this.worker = Thread.ofPlatform().name("peft4j-serve-batcher").daemon().start(this::loop);
    }

    /**
     * Queues a request; the future completes with its result ({@code text}, {@code token_ids},
     * {@code prompt_tokens}, {@code new_tokens}, {@code finish_reason}) or a {@link ServeException}.
     */
    CompletableFuture<JsonNode> submit(String adapter, String model, ObjectNode request) {
        Job job = new Job(adapter, model, request, new CompletableFuture<>(), System.nanoTime());
        lock.lock();
        try {
            if (closed) {
                throw new ServeException(503, "ServiceUnavailableError", "the server is shutting down");
            }
            if (queue.size() >= maxQueued) {
                throw new ServeException(503, "ServiceUnavailableError", "the server is overloaded (" + maxQueued + " requests queued); retry later");
            }
            queue.addLast(job);
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        return job.answer();
    }

    /** Requests waiting now. */
    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Cancels the queued requests (503) and waits for the running batch to finish. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            queue.forEach(j -> j.answer().completeExceptionally(new ServeException(503, "ServiceUnavailableError", "the server is shutting down")));
            queue.clear();
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            worker.join(TimeUnit.MINUTES.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        while (true) {
            List<Job> batch;
            try {
                batch = next();
            } catch (InterruptedException e) {
                return;
            }
            if (batch == null) {
                return;
            }
            run(batch);
        }
    }

    /** The next batch, null once closed. */
    private List<Job> next() throws InterruptedException {
        lock.lock();
        try {
            while (queue.isEmpty()) {
                if (closed) {
                    return null;
                }
                arrived.await();
            }
            long deadline = queue.peekFirst().queuedAt() + windowNanos;
            long left;
            while (!closed && queue.size() < maxBatch && (left = deadline - System.nanoTime()) > 0) {
                arrived.awaitNanos(left);
            }
            List<Job> batch = new ArrayList<>();
            Set<String> adapters = new LinkedHashSet<>();
            for (Iterator<Job> it = queue.iterator(); it.hasNext() && batch.size() < maxBatch; ) {
                Job job = it.next();
                if (job.adapter() != null && !adapters.contains(job.adapter()) && adapters.size() >= pool.maxLoaded()) {
                    continue;  // waits for a later batch: this one names max-loaded adapters already
                }
                if (job.adapter() != null) {
                    adapters.add(job.adapter());
                }
                batch.add(job);
                it.remove();
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    private void run(List<Job> batch) {
        long start = System.nanoTime();
        synchronized (pool) {
            List<Job> ready = new ArrayList<>();
            for (Job job : batch) {
                if (job.adapter() != null && pool.path(job.adapter()).isEmpty()) {
                    job.answer().completeExceptionally(ServeException.notFound("The model `" + job.model() + "` does not exist."));
                } else {
                    ready.add(job);
                }
            }
            if (ready.isEmpty()) {
                return;
            }
            metrics.batch(ready.size(), ready.stream().mapToLong(j -> start - j.queuedAt()).sum() / 1e9);
            try {
                pool.ensureLoaded(ready.stream().map(Job::adapter).filter(a -> a != null).distinct().toList());
                ArrayNode requests = JSON.createArrayNode();
                ready.forEach(j -> requests.add(j.request()));
                String answer = python.callAs(String.class, "serve", "generate_batch_json", handle, JSON.writeValueAsString(requests));
                JsonNode results = JSON.readTree(answer);
                double seconds = (System.nanoTime() - start) / 1e9;
                for (int i = 0; i < ready.size(); i++) {
                    JsonNode r = results.get(i);
                    metrics.answered(ready.get(i).model(), r.path("prompt_tokens").asInt(), r.path("new_tokens").asInt(), seconds);
                    ready.get(i).answer().complete(r);
                }
            } catch (PythonException e) {
                fail(ready, new ServeException(500, "InternalServerError", "generation failed: " + e.pythonType() + ": " + e.pythonMessage()));
            } catch (Exception | Error e) {
                fail(ready, new ServeException(500, "InternalServerError", "generation failed: " + e));
            }
        }
    }

    private static void fail(List<Job> jobs, ServeException e) {
        jobs.forEach(j -> j.answer().completeExceptionally(e));
    }
}
